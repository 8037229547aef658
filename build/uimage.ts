/**
 * The kernel blob: a legacy multi-file uImage of [zImage + appended DTB, initramfs] for the WRT
 * boards, [zImage, initramfs, DTB] for u-boot-qemu (no ATAG support, reference/qemu-stand-in.md).
 * Reads board.uimage, board.dtb, board.arch; writes kernel.uimg.
 */
import type { Board } from '../board/board.js';

/** Files the blob is made of, before mkimage joins them. */
export interface BlobFiles {
  zImage: string;
  dtb: string;
  initramfs: string;
  /** zImage with the DTB appended, for boards whose DTB travels that way. */
  zImageWithDtb: string;
}

/** mkimage's image name holds 32 bytes including the terminating NUL (IH_NMLEN). */
const IMAGE_NAME_MAX = 31;

const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** The parts of the multi-file image, in order. */
export function uimageParts(board: Board, files: BlobFiles): string[] {
  if (board.dtb?.placement === 'uimage-part') return [files.zImage, files.initramfs, files.dtb];
  return [files.zImageWithDtb, files.initramfs];
}

/** `mkimage -T multi` for the board's load and entry address. */
export function mkimageArgs(board: Board, options: { parts: readonly string[]; output: string; name: string }): string[] {
  if (!board.uimage) throw new Error(`board ${board.id} has no uImage addresses`);
  return [
    'mkimage',
    '-A', board.arch === 'armhf' ? 'arm' : 'x86_64',
    '-O', 'linux',
    '-T', 'multi',
    '-C', 'none',
    '-a', hex8(board.uimage.loadAddress),
    '-e', hex8(board.uimage.entryAddress),
    '-n', options.name.slice(0, IMAGE_NAME_MAX),
    '-d', options.parts.join(':'),
    options.output,
  ];
}

/** QEMU writes the device tree of the exact machine `mcdebian boot` runs (reference/qemu-stand-in.md). */
export function dumpDtbArgs(output: string): string[] {
  return ['qemu-system-arm', '-M', `virt,highmem=off,dumpdtb=${output}`, '-m', '1024', '-nographic'];
}
