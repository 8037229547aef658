/**
 * TFTP throughput of a 20 MB image into U-Boot under QEMU, figures printed (never asserted):
 *   npm run bench:tftp   (as root: in.tftpd binds 127.0.0.1:69; RUNS=n repeats, default 3)
 * u-boot-qemu on the flash stand-in, in.tftpd as flash tftp runs it, `tftpboot` timed from Enter
 * to the prompt, for each U-Boot setting:
 * - blksize 512: RFC 1350's block, what a U-Boot that does not negotiate blksize gets
 * - blksize 1468: u-boot-qemu's default and flash tftp's setting, the largest that needs no IP
 *   reassembly (this U-Boot caps larger requests to it)
 * - blksize 1468 + tftpwindowsize 8: RFC 7440 windows, which tftpd-hpa does not offer
 * Then one whole `mcdebian flash tftp` of the same image, from the prompt to "Starting kernel".
 */
import { chmod, copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBoard } from '../../board/index.js';
import { createStandInDisk } from '../../build/stand-in-disk.js';
import { startTftpServer } from '../../flash/tftp-server.js';
import { openConsoleStream } from '../../flash/console-stream.js';
import { UBootConsole } from '../../flash/uboot-console.js';
import { runCli } from '../helpers/cli.js';
import { dumpVirtDtb, makeTestUImage, startUBootQemu } from '../helpers/uboot-qemu.js';

const RUNS = Number(process.env.RUNS ?? 3);
const IMAGE_BYTES = 20_000_000;
const DTB_AND_INITRD = 1024 * 1024 + 64 * 1024 + 64 + 16;
const board = getBoard('qemu-armhf');

const SETTINGS: Record<string, string[]> = {
  'blksize 512': ['setenv tftpblocksize 512', 'setenv tftpwindowsize'],
  'blksize 1468': ['setenv tftpblocksize 1468', 'setenv tftpwindowsize'],
  'blksize 1468, windowsize 8': ['setenv tftpblocksize 1468', 'setenv tftpwindowsize 8'],
};

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function stage(dir: string) {
  const dtb = await dumpVirtDtb(dir);
  const image = await makeTestUImage(dir, { name: 'McDebian 20 MB', kernelBytes: IMAGE_BYTES - DTB_AND_INITRD, dtb });
  const small = await makeTestUImage(dir, { name: 'McDebian small', kernelBytes: 500_000, dtb });
  const disk = join(dir, 'flash.img');
  await createStandInDisk(board, { disk, kernel: small, work: dir });
  return { image, disk };
}

/** tftpboot under each setting, RUNS times, on one U-Boot. */
async function measureSettings(dir: string, image: string, disk: string): Promise<void> {
  const served = join(dir, 'served');
  await mkdir(served, { mode: 0o755 });
  await copyFile(image, join(served, 'kernel.uimg'));
  await chmod(join(served, 'kernel.uimg'), 0o644);
  const server = await startTftpServer({ directory: served, address: '127.0.0.1', blockSize: 65464, probeFile: 'kernel.uimg' });
  const qemu = startUBootQemu({ flashDisk: disk, serialSocket: join(dir, 'console') });
  try {
    const uboot = new UBootConsole(await openConsoleStream({ kind: 'unix', path: join(dir, 'console') }, { baud: 115200 }), { prompt: '=> ' });
    await uboot.stopAutoboot(60_000);
    for (const command of ['setenv ipaddr 10.0.2.15', 'setenv netmask 255.255.255.0', 'setenv gatewayip 10.0.2.2', 'setenv serverip 127.0.0.1']) {
      await uboot.run(command, { timeoutMs: 5000 });
    }
    const bytes = (await stat(image)).size;
    for (const [name, commands] of Object.entries(SETTINGS)) {
      for (const command of commands) await uboot.run(command, { timeoutMs: 5000 });
      const seconds: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        await uboot.run('tftpboot 0x42000000 kernel.uimg', { timeoutMs: 600_000, expect: new RegExp(`Bytes transferred = ${bytes} `) });
        seconds.push((performance.now() - started) / 1000);
      }
      const s = median(seconds);
      process.stdout.write(`${name.padEnd(28)} ${s.toFixed(2)} s  ${(bytes / s / 1e6).toFixed(1)} MB/s  (median of ${RUNS}: ${seconds.map((x) => x.toFixed(2)).join(', ')} s)\n`);
    }
    uboot.close();
  } finally {
    await qemu.stop();
    await server.stop();
  }
}

/** The whole command, as a user runs it. */
async function measureCommand(dir: string, image: string, disk: string): Promise<void> {
  const qemu = startUBootQemu({ flashDisk: disk, serialSocket: join(dir, 'console2') });
  try {
    const result = await runCli(['flash', 'tftp', '--board', 'qemu-armhf', '--serial', `unix:${join(dir, 'console2')}`, '--image', image, '--log', join(dir, 'flash-tftp.log'), '--json']);
    if (result.exitCode !== 0) throw new Error(result.stderr);
    const report = JSON.parse(result.stdout) as { bytes: number; load: { seconds: number; bytesPerSecond: number }; seconds: number };
    process.stdout.write(`mcdebian flash tftp, 20 MB: load ${report.load.seconds} s (${(report.load.bytesPerSecond / 1e6).toFixed(1)} MB/s), ${report.seconds} s from connect to "Starting kernel"\n`);
  } finally {
    await qemu.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'mcdebian-bench-tftp-'));
try {
  const { image, disk } = await stage(dir);
  process.stdout.write(`tftpboot of ${(await stat(image)).size} bytes into u-boot-qemu (TCG), in.tftpd on 127.0.0.1:69\n`);
  await measureSettings(dir, image, disk);
  await measureCommand(dir, image, disk);
} finally {
  await rm(dir, { recursive: true, force: true });
}
