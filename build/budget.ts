/**
 * The flash budget: will the kernel blob (a legacy multi-file uImage) fit the window the stock
 * U-Boot reads from a kernel slot, and the slot's partition? Pure arithmetic over the board and
 * the sizes known so far. Reads board.kernelReadWindow, ubootEnv.variables, kernelSlots, nand.
 */
import type { Board } from '../board/board.js';
import { flashOf, flashPartition } from '../board/flash.js';

/**
 * Where a size came from: the Debian package on the mirror, the initramfs an earlier build left
 * in the stage cache, an upper bound computed from what the part will hold, the build itself, or
 * nowhere yet.
 */
export type SizeSource = 'debian-package' | 'measured' | 'upper-bound' | 'build' | 'unknown';

export interface BlobPart {
  name: 'zImage' | 'dtb' | 'initramfs';
  bytes?: number;
  source: SizeSource;
  /** Why the size is unknown, or where it was found or how it was bounded. */
  note?: string;
}

export type BudgetStatus = 'fits' | 'exceeds-read-window' | 'exceeds-partition' | 'unknown' | 'not-applicable';

export interface FlashBudget {
  status: BudgetStatus;
  /** One sentence for people. */
  message: string;
  parts: BlobPart[];
  /** Size of the whole uImage, when every part is known. */
  blobBytes?: number;
  /** True when any part is an upper bound: the blob is then at most blobBytes. */
  upperBound: boolean;
  readWindow?: { bytes: number; variables: string[]; confirmed: boolean };
  partition?: { name: string; bytes: number };
  /** Smallest read size that holds the blob, rounded up to the erase block. */
  requiredReadSize?: number;
  /** The read size McDebian's flasher will set: the blob rounded up to the next MiB. */
  recommendedReadSize?: number;
}

const MiB = 1024 * 1024;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
export const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * Size of a legacy multi-file uImage: a 64-byte header, a table of part sizes ending in a zero
 * word, then each part padded to 4 bytes except the last (U-Boot tools/mkimage.c, `-T multi`).
 */
export function multiImageSize(partSizes: readonly number[]): number {
  const table = 4 * (partSizes.length + 1);
  const data = partSizes.reduce((sum, size, i) => sum + (i === partSizes.length - 1 ? size : roundUp(size, 4)), 0);
  return 64 + table + data;
}

/**
 * The uImage's parts from the blob's pieces: an appended DTB travels inside the first part
 * (zImage + DTB), otherwise it is the third part (uimage.ts builds the same order).
 */
function imagePartSizes(board: Board, parts: readonly BlobPart[]): number[] {
  const size = (name: BlobPart['name']) => parts.find((part) => part.name === name)?.bytes ?? 0;
  const present = (name: BlobPart['name']) => parts.some((part) => part.name === name);
  if (board.dtb?.placement === 'uimage-part') return [size('zImage'), size('initramfs'), size('dtb')];
  return [size('zImage') + size('dtb'), ...(present('initramfs') ? [size('initramfs')] : [])];
}

/** The budget of a board's kernel blob given what is known of its parts. */
export function computeBudget(board: Board, parts: BlobPart[]): FlashBudget {
  const window = board.kernelReadWindow;
  const slot = board.kernelSlots?.[0];
  const partition = slot ? flashPartition(board, slot.partition) : undefined;
  const upperBound = parts.some((part) => part.source === 'upper-bound');
  if (!window || !slot || !partition || !board.ubootEnv) {
    return { status: 'not-applicable', message: `${board.id} boots without a NAND read window`, parts, upperBound };
  }
  const variables = board.kernelSlots!.map((s) => s.readSizeVariable);
  const base = {
    parts,
    upperBound,
    readWindow: { bytes: window.bytes, variables, confirmed: window.confirmed },
    partition: { name: partition.name, bytes: partition.size },
  };
  const sizes = parts.map((part) => part.bytes);
  if (sizes.some((size) => size === undefined)) {
    const missing = parts.filter((part) => part.bytes === undefined).map((part) => `${part.name} (${part.note ?? 'unknown'})`);
    return { ...base, status: 'unknown', message: `blob size unknown: ${missing.join('; ')}` };
  }
  const blobBytes = multiImageSize(imagePartSizes(board, parts));
  const requiredReadSize = roundUp(blobBytes, flashOf(board)!.eraseBlock);
  const recommendedReadSize = roundUp(blobBytes, MiB);
  const result = { ...base, blobBytes, requiredReadSize, recommendedReadSize };
  const about = upperBound ? 'at most ' : '';
  if (blobBytes > partition.size) {
    return { ...result, status: 'exceeds-partition', message: `the kernel blob (${about}${mib(blobBytes)}) is larger than the ${mib(partition.size)} ${partition.name} partition: it cannot be flashed` };
  }
  if (blobBytes > window.bytes) {
    return {
      ...result,
      status: 'exceeds-read-window',
      message:
        `the kernel blob (${about}${mib(blobBytes)}) does not fit the ${mib(window.bytes)} read window` +
        `${window.confirmed ? '' : ' (stock value unconfirmed)'}: ${variables.join(' and ')} must be raised to at least ` +
        `${hex(requiredReadSize)}; the flasher sets ${hex(recommendedReadSize)} (${mib(recommendedReadSize)}), ` +
        `within the ${mib(partition.size)} ${partition.name} partition`,
    };
  }
  return { ...result, status: 'fits', message: `the kernel blob (${about}${mib(blobBytes)}) fits the ${mib(window.bytes)} read window (${variables.join('/')})` };
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 2)} MiB`;
}
