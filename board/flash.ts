/**
 * The flash a board's slots, environment and boot counter live in: the NAND's MTD partitions on a
 * router, the virtio stand-in disk on qemu-armhf. Code that only needs names, sizes and geometry
 * reads it through here and works on both.
 */
import type { Board, MtdPartition, NandFlash } from './board.js';

/** The NAND, or the QEMU stand-in for it; undefined on boards with neither. */
export function flashOf(board: Board): NandFlash | undefined {
  return board.nand ?? board.flashStandIn;
}

/** A partition of the flash by name. */
export function flashPartition(board: Board, name: string): MtdPartition | undefined {
  return flashOf(board)?.partitions.find((partition) => partition.name === name);
}
