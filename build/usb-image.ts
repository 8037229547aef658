/**
 * The USB stick image for the armhf boards: an MBR with one ext4 partition at 1 MiB, the
 * rootfs.ext4 written into it. Sparse, and made with sfdisk and dd on a plain file: no loop
 * device, no mount. Reads config.image.size; writes usb.img.
 */
import type { Step, StepCommand } from './core/step.js';
import { ext4Env, mke2fsArgs, type Ext4Spec } from './ext4.js';

/** First partition starts at 1 MiB, as fdisk and sfdisk align by default. */
export const PARTITION_START = 1024 * 1024;
const SECTOR = 512;

/** sfdisk script for an MBR disk of `sizeBytes` holding one Linux partition. */
export function usbPartitionScript(options: { sizeBytes: number; diskId: string }): string {
  const start = PARTITION_START / SECTOR;
  const size = Math.floor(options.sizeBytes / SECTOR) - start;
  return ['label: dos', `label-id: 0x${options.diskId}`, 'unit: sectors', '', `start=${start}, size=${size}, type=83, bootable`, ''].join('\n');
}

/** The size of the ext4 filesystem that fills the partition. */
export function usbRootfsSize(imageBytes: number): number {
  return imageBytes - PARTITION_START;
}

/** sfdisk on an image file; the script goes to its stdin. */
export function sfdiskArgs(image: string): string[] {
  return ['sfdisk', '--no-reread', '--no-tell-kernel', '--quiet', image];
}

/** Copies a filesystem image into a disk image at a byte offset, keeping holes. */
export function ddArgs(options: { input: string; output: string; offset: number }): string[] {
  if (options.offset % PARTITION_START !== 0) throw new Error(`dd offset ${options.offset} is not MiB-aligned`);
  return ['dd', `if=${options.input}`, `of=${options.output}`, 'bs=1M', `seek=${options.offset / PARTITION_START}`, 'conv=notrunc,sparse', 'status=none'];
}

/** Creates a sparse file of the image's size (coreutils truncate). */
export function truncateArgs(path: string, sizeBytes: number): string[] {
  return ['truncate', '--size', String(sizeBytes), path];
}

export interface UsbImageOptions {
  sizeBytes: number;
  diskId: string;
  /** The root filesystem, made again straight into the partition (mke2fs -E offset), not copied. */
  ext4: Ext4Spec;
  output: string;
}

function usbImageCommands(options: UsbImageOptions): StepCommand[] {
  return [
    { argv: truncateArgs(options.output, options.sizeBytes) },
    { argv: sfdiskArgs(options.output), stdin: usbPartitionScript(options) },
    { argv: mke2fsArgs({ ...options.ext4, output: options.output, offset: PARTITION_START }) },
  ];
}

export function usbImageStep(options: UsbImageOptions, final: { output: string; sizeText: string }): Step {
  return {
    id: 'usb-image',
    title: 'Make the USB stick image usb.img',
    commands: usbImageCommands({ ...options, output: final.output }),
    writes: [final.output],
    notes: [`sparse, ${final.sizeText}, MBR, one ext4 partition at 1 MiB, the same filesystem as rootfs.ext4 (same UUID, seed and time)`],
    run: async (ctx) => {
      for (const command of usbImageCommands(options)) await ctx.exec(command.argv, { stdin: command.stdin, env: ext4Env(ctx.state.sourceDateEpoch) });
    },
  };
}
