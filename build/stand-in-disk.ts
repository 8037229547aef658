/**
 * Writes the flash stand-in disk for `mcdebian boot` (flash/stand-in.ts has the layout and
 * the script): a sparse file with the GPT, the script on a FAT `u-boot` partition, u_env as the
 * factory left it with McDebian in both slots, an erased s_env, and the kernel blob in kernel1
 * and kernel2. No loop device, no mount.
 */
import { open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Board } from '../board/board.js';
import { serializeEnvironment } from '../flash/uboot-env.js';
import { runCommand } from './core/exec.js';
import { standInBootScript, standInEnvironment, standInLayout, standInPartition, standInPartitionScript } from '../flash/stand-in.js';
import { sfdiskArgs, truncateArgs } from './usb-image.js';

const MiB = 1024 * 1024;

export function scriptImageArgs(source: string, output: string): string[] {
  return ['mkimage', '-A', 'arm', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'McDebian stand-in boot', '-d', source, output];
}

/** The read window the factory image sets: the blob rounded up to a MiB, as the flasher raises it. */
export function standInReadSize(blobBytes: number): number {
  return Math.ceil(blobBytes / MiB) * MiB;
}

export async function createStandInDisk(board: Board, options: { disk: string; kernel: string; work: string }): Promise<void> {
  const layout = standInLayout(board);
  const env = board.ubootEnv!;
  await writeFile(join(options.work, 'boot.txt'), standInBootScript(board));
  const script = join(options.work, 'boot.scr.uimg');
  await runCommand(scriptImageArgs(join(options.work, 'boot.txt'), script), { debianPackage: 'u-boot-tools' });
  const uboot = standInPartition(layout, 'u-boot');
  const fat = join(options.work, 'u-boot.fat');
  await runCommand(['mkfs.fat', '-C', '-n', 'UBOOT', fat, String(uboot.size / 1024)], { debianPackage: 'dosfstools' });
  await runCommand(['mcopy', '-i', fat, script, '::/'], { debianPackage: 'mtools' });
  await runCommand(truncateArgs(options.disk, layout.diskBytes));
  await runCommand(sfdiskArgs(options.disk), { stdin: standInPartitionScript(layout), debianPackage: 'fdisk' });

  const blobBytes = (await stat(options.kernel)).size;
  const variables = standInEnvironment(board, standInReadSize(blobBytes));
  const disk = await open(options.disk, 'r+');
  try {
    const put = async (data: Uint8Array, position: number) => {
      await disk.write(data, 0, data.length, position);
    };
    await copyInto(fat, disk, uboot.start);
    await put(serializeEnvironment(variables, { size: env.size }), standInPartition(layout, env.partition).start + env.offset);
    const counter = standInPartition(layout, board.bootCounter!.partition);
    await put(Buffer.alloc(counter.size, 0xff), counter.start); // erased NAND reads 0xff
    for (const slot of board.kernelSlots!) await copyInto(options.kernel, disk, standInPartition(layout, slot.partition).start);
  } finally {
    await disk.close();
  }
}

async function copyInto(source: string, disk: import('node:fs/promises').FileHandle, position: number): Promise<void> {
  const input = await open(source, 'r');
  try {
    const buffer = Buffer.alloc(4 * MiB);
    for (let offset = 0; ; ) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return;
      await disk.write(buffer, 0, bytesRead, position + offset);
      offset += bytesRead;
    }
  } finally {
    await input.close();
  }
}
