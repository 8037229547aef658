/** The stand-in under u-boot-qemu itself: its boot script counts boots and switches slots as the stock U-Boot does. */
import { execa } from 'execa';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBoard } from '../../board/index.js';
import { standInLayout } from '../../flash/stand-in.js';
import { createStandInDisk } from '../../build/stand-in-disk.js';
import { armMachineArgs, dumpDtbArgs, ARM_ACCEL } from '../../build/qemu.js';
import { UBOOT_QEMU_ARM } from '../../build/boot.js';
import { parseBootCounter, renderBootCountRecord } from '../../flash/bootcount.js';
import { parseEnvironment } from '../../flash/uboot-env.js';
import { testWithTools } from '../helpers/tools.js';

const board = getBoard('qemu-armhf');

/**
 * A multi-file uImage as the build makes it, [kernel, initramfs, DTB], with a made-up kernel and
 * initramfs and the virt machine's real DTB (u-boot-qemu boots only with one): valid CRCs unless
 * `corrupt`. U-Boot verifies it and prints "Starting kernel"; the made-up kernel then hangs.
 */
async function randomUImage(dir: string, name: string, corrupt: boolean): Promise<string> {
  const data = join(dir, `${name}.bin`);
  await writeFile(data, Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 7919) % 251)));
  const dtb = join(dir, 'virt.dtb');
  await execa(dumpDtbArgs(dtb)[0]!, dumpDtbArgs(dtb).slice(1));
  const image = join(dir, `${name}.uimg`);
  await execa('mkimage', ['-A', 'arm', '-O', 'linux', '-T', 'multi', '-C', 'none', '-a', '0x40008000', '-e', '0x40008000', '-n', name, '-d', `${data}:${data}:${dtb}`, image]);
  if (corrupt) {
    const handle = await open(image, 'r+');
    await handle.write(Buffer.from([0xaa, 0x55]), 0, 2, 1000);
    await handle.close();
  }
  return image;
}

/** Runs u-boot-qemu over the disk until `until` shows in the console (or the time runs out). */
async function runUBoot(disk: string, until: RegExp, seconds: number): Promise<string> {
  const child = execa('qemu-system-arm', [
    ...armMachineArgs(), ...ARM_ACCEL, '-nographic', '-bios', UBOOT_QEMU_ARM,
    '-drive', `if=none,id=flash,format=raw,file=${disk}`, '-device', 'virtio-blk-device,drive=flash',
  ], { reject: false, stdin: 'ignore', all: true, buffer: false, timeout: seconds * 1000 });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (until.test(output)) child.kill();
  });
  await child;
  return output.replaceAll('\r', '');
}

const TOOLS = { 'qemu-system-arm': 'qemu-system-arm', mkimage: 'u-boot-tools', sfdisk: 'fdisk', 'mkfs.fat': 'dosfstools', mcopy: 'mtools' };

testWithTools(TOOLS, 'u-boot-qemu counts unconfirmed boots in s_env and falls back to the other slot after three, saving only the stock variables', async (t) => {
  t.timeout(5 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-stand-in-'));
  try {
    const disk = join(dir, 'flash.img');
    await createStandInDisk(board, { disk, kernel: await randomUImage(dir, 'broken', true), work: dir });
    // wait for the whole line: QEMU's own "terminating on signal" follows the kill without a newline
    const console = await runUBoot(disk, /switches slots[\s\S]*boot count 2: run altnandboot\r?\n/, 240);
    t.deepEqual([...console.matchAll(/boot_part (\d), boot count (\d): (run \w+)$/gm)].map((m) => m.slice(1).join(' ')), [
      '1 1 run nandboot', '1 2 run nandboot', '1 3 run nandboot', '2 1 run altnandboot', '2 2 run altnandboot',
    ].slice(0, [...console.matchAll(/boot_part (\d), boot count/g)].length));
    t.regex(console, /Bad Data CRC/);
    t.regex(console, /slot 1 booted 3 times with no healthy system resetting the counter, auto_recovery switches slots/);
    const layout = standInLayout(board);
    const bytes = await readFile(disk);
    const env = parseEnvironment(bytes.subarray(layout.partitions[1]!.start, layout.partitions[1]!.start + 0x2_0000), { size: 0x2_0000 });
    t.true(env.crcOk);
    t.is(env.variables.get('boot_part'), '2');
    t.is(env.variables.get('bootcmd'), 'run altnandboot');
    t.deepEqual([...env.variables.keys()].filter((name) => name.startsWith('mcd_') || name === 'fdt_high'), []);
    const counter = parseBootCounter(bytes.subarray(layout.partitions[2]!.start, layout.partitions[2]!.start + 0x4_0000), { recordStride: 2048 });
    t.true(counter.count >= 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

testWithTools(TOOLS, 'a boot that a healthy system confirmed (count reset to 0) keeps the slot, and a good image is verified and started', async (t) => {
  t.timeout(5 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-stand-in-'));
  try {
    const disk = join(dir, 'flash.img');
    await createStandInDisk(board, { disk, kernel: await randomUImage(dir, 'good', false), work: dir });
    // three unconfirmed boots, then the reset record a healthy system appends
    const sEnv = standInLayout(board).partitions[2]!;
    const handle = await open(disk, 'r+');
    for (const [index, count] of [1, 2, 3, 0].entries()) {
      await handle.write(renderBootCountRecord({ count, checksum: count === 0 ? undefined : 0x2011_0811 + count }, { recordStride: 2048 }), 0, 2048, sEnv.start + index * 2048);
    }
    await handle.close();
    const console = await runUBoot(disk, /Starting kernel/, 120);
    t.regex(console, /boot_part 1, boot count 1: run nandboot/);
    t.notRegex(console, /switches slots/);
    t.regex(console, /Verifying Checksum \.\.\. OK/);
    t.regex(console, /Starting kernel/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
