import test from 'ava';
import { execa } from 'execa';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBoard } from '../../board/index.js';
import { validateBoard } from '../../board/validate.js';
import { computeBudget } from '../../build/budget.js';
import { standInBootScript, standInEnvironment, standInLayout, standInPartitionScript } from '../../flash/stand-in.js';
import { createStandInDisk } from '../../build/stand-in-disk.js';
import { armMachineArgs, dumpDtbArgs } from '../../build/qemu.js';
import { UBOOT_QEMU_ARM } from '../../build/boot.js';
import { parseBootCounter, renderBootCountRecord } from '../../flash/bootcount.js';
import { parseEnvironment } from '../../flash/uboot-env.js';
import { testWithTools } from '../helpers/tools.js';

const board = getBoard('qemu-armhf');
const MiB = 1024 * 1024;

test('the stand-in board is valid and keeps caiman\'s slots, environment and counter geometry', (t) => {
  t.deepEqual(validateBoard(board), []);
  t.deepEqual(board.flashStandIn!.partitions.map((p) => p.name), ['u-boot', 'u_env', 's_env', 'kernel1', 'kernel2']);
  t.is(board.ubootEnv!.size, 0x2_0000);
  t.is(board.kernelSlots![1].stockRoot, '/dev/mtdblock7');
});

test('each stand-in partition sits at its NAND offset plus 1 MiB, named as the MTD partition', (t) => {
  const layout = standInLayout(board);
  t.deepEqual(layout.partitions.map((p) => [p.name, p.start]), [['u-boot', 0x10_0000], ['u_env', 0x30_0000], ['s_env', 0x34_0000], ['kernel1', 0xb0_0000], ['kernel2', 0x330_0000]]);
  t.is(layout.diskBytes, 0x330_0000 + 0x280_0000 + MiB);
  const script = standInPartitionScript(layout);
  t.regex(script, /^label: gpt/);
  t.regex(script, /start=104448, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="kernel2"/);
  t.regex(script, /name="u-boot", attrs="LegacyBIOSBootable"/);
});

test('the factory environment has the stock variables, both windows raised, and boot commands reading the virtio slot', (t) => {
  const env = standInEnvironment(board, 13 * MiB);
  t.like(env, { boot_part: '1', bootcmd: 'run nandboot', auto_recovery: 'yes', priKernAddr: '0xa00000', altKernAddr: '0x3200000', priKernSize: '0xd00000', altKernSize: '0xd00000' });
  t.regex(env.altnandboot!, /^setenv bootargs 'console=ttyAMA0,115200 root=\/dev\/mtdblock7 ro /);
  t.regex(env.altnandboot!, /setexpr mcd_blk \$\{altKernAddr\} \+ 0x100000; .*virtio read \$\{defaultLoadAddr\} \$\{mcd_blk\} \$\{mcd_cnt\}; bootm \$\{defaultLoadAddr\}$/);
});

test('the boot script reads u_env and s_env at the stand-in\'s blocks and saves only after deleting its temporaries', (t) => {
  const script = standInBootScript(board);
  t.regex(script, /virtio read 0x48000000 0x1800 0x100\n/);
  t.regex(script, /env import -d -c 0x48000000 0x20000/);
  t.regex(script, /virtio read 0x48100000 0x1a00 0x200/);
  t.regex(script, /itest \$\{mcd_count\} -ge 3/);
  const save = script.indexOf('env export');
  t.true(script.lastIndexOf('for mcd_v in') < save && save > 0);
  for (const line of script.split('\n').filter((l) => /^\s*echo /.test(l))) t.regex(line, /echo "[^"]*"/, 'echo text is one quoted argument: U-Boot commands take at most 16');
});

test('the stand-in blob may exceed the stock 6 MiB window: the budget warns, the flasher raises it', (t) => {
  const budget = computeBudget(board, [
    { name: 'zImage', bytes: 6_046_208, source: 'build' },
    { name: 'initramfs', bytes: 7_000_000, source: 'build' },
    { name: 'dtb', bytes: 1_048_576, source: 'build' },
  ]);
  t.is(budget.status, 'exceeds-read-window');
  t.is(budget.partition?.name, 'kernel1');
});

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
    ...armMachineArgs(), '-accel', 'tcg', '-nographic', '-bios', UBOOT_QEMU_ARM,
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
    const console = await runUBoot(disk, /switches slots[\s\S]*boot count 2: run altnandboot/, 240);
    t.deepEqual([...console.matchAll(/boot_part (\d), boot count (\d): (run \w+)/g)].map((m) => m.slice(1).join(' ')), [
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
