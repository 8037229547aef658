/**
 * Checks a board's data for internal consistency: partitions inside the flash, aligned to the
 * erase block, overlapping only where declared (kernel1 contains rootfs1), and every partition the
 * environment, slots and boot counter name present. Returns problems; an empty list means valid.
 */
import type { Board, MtdPartition, NandFlash } from './board.js';
import { flashOf, flashPartition } from './flash.js';

const hex = (n: number): string => `0x${n.toString(16)}`;
const end = (p: MtdPartition): number => p.offset + p.size;

/** Every problem found in the board, each a sentence naming the field. */
export function validateBoard(board: Board): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(board.id)) problems.push(`id "${board.id}" must be lower-case kebab-case`);
  if (board.rootModules.length === 0) problems.push('rootModules is empty: the initramfs could not reach the root filesystem');
  if (board.network.kind === 'router' && board.network.lanPorts.includes(board.network.wanPort)) {
    problems.push(`network: wan port "${board.network.wanPort}" is also a LAN port`);
  }
  const flash = flashOf(board);
  if (flash) problems.push(...validatePartitions(flash));
  if (board.nand && board.flashStandIn) problems.push('a board has a NAND or a flash stand-in, not both');
  problems.push(...validateBootChain(board));
  return problems;
}

function validatePartitions(nand: NandFlash): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const p of nand.partitions) {
    const where = `partition ${p.name} (${hex(p.offset)}+${hex(p.size)})`;
    if (names.has(p.name)) problems.push(`${where}: the name is used twice`);
    names.add(p.name);
    if (p.size <= 0) problems.push(`${where}: size must be positive`);
    if (end(p) > nand.size) problems.push(`${where}: ends at ${hex(end(p))}, past the end of the ${hex(nand.size)}-byte flash`);
    if (p.offset % nand.eraseBlock !== 0) problems.push(`${where}: offset is not aligned to the ${hex(nand.eraseBlock)} erase block`);
    if (p.size % nand.eraseBlock !== 0) problems.push(`${where}: size is not a multiple of the ${hex(nand.eraseBlock)} erase block`);
  }
  return [...problems, ...validateOverlaps(nand.partitions)];
}

function validateOverlaps(partitions: readonly MtdPartition[]): string[] {
  const problems: string[] = [];
  const byName = new Map(partitions.map((p) => [p.name, p]));
  for (const outer of partitions) {
    for (const innerName of outer.contains ?? []) {
      const inner = byName.get(innerName);
      if (!inner) problems.push(`partition ${outer.name}: contains names "${innerName}", which does not exist`);
      else if (inner.offset < outer.offset || end(inner) > end(outer)) {
        problems.push(`partition ${outer.name}: declared to contain ${innerName}, but ${innerName} is not wholly inside it`);
      }
    }
  }
  partitions.forEach((a, i) => {
    for (const b of partitions.slice(i + 1)) {
      const overlap = a.offset < end(b) && b.offset < end(a);
      const declared = a.contains?.includes(b.name) || b.contains?.includes(a.name);
      if (overlap && !declared) problems.push(`partitions ${a.name} and ${b.name} overlap, and neither declares it contains the other`);
    }
  });
  return problems;
}

function validateBootChain(board: Board): string[] {
  const problems: string[] = [];
  if (board.bootMethod === 'nand-uimage') {
    for (const field of ['nand', 'ubootEnv', 'kernelSlots', 'kernelReadWindow', 'uimage', 'dtb', 'bootCounter', 'stockCommandLine'] as const) {
      if (board[field] === undefined) problems.push(`bootMethod nand-uimage needs ${field}`);
    }
    if (board.dtb && board.dtb.placement !== 'appended') {
      problems.push('bootMethod nand-uimage needs dtb.placement "appended": the stock U-Boot passes no device tree');
    }
  }
  if (board.bootMethod === 'qemu-uimage' && board.uimage === undefined) problems.push('bootMethod qemu-uimage needs uimage');
  return [...problems, ...validateEnvironment(board), ...validateSlots(board)];
}

const findPartition = flashPartition;

function validateEnvironment(board: Board): string[] {
  const problems: string[] = [];
  const env = board.ubootEnv;
  if (env) {
    const p = findPartition(board, env.partition);
    if (!p) problems.push(`ubootEnv.partition "${env.partition}" is not in the partition table`);
    else if (env.offset + env.size > p.size) {
      problems.push(`ubootEnv: offset+size ${hex(env.offset + env.size)} exceeds partition ${p.name} (${hex(p.size)})`);
    }
    const flash = flashOf(board);
    if (flash && env.sectorSize % flash.eraseBlock !== 0) {
      problems.push(`ubootEnv.sectorSize ${hex(env.sectorSize)} is not a multiple of the erase block`);
    }
  }
  const counter = board.bootCounter;
  if (counter) {
    if (!findPartition(board, counter.partition)) problems.push(`bootCounter.partition "${counter.partition}" is not in the partition table`);
    const flash = flashOf(board);
    if (flash && counter.recordStride !== flash.pageSize) problems.push('bootCounter.recordStride must equal the NAND page size');
  }
  return problems;
}

function validateSlots(board: Board): string[] {
  const problems: string[] = [];
  for (const slot of board.kernelSlots ?? []) {
    const p = findPartition(board, slot.partition);
    if (!p) problems.push(`kernelSlots: slot ${slot.slot} partition "${slot.partition}" is not in the partition table`);
    else if (p.readOnly) problems.push(`kernelSlots: slot ${slot.slot} partition "${slot.partition}" is read-only`);
    else if (board.kernelReadWindow && board.kernelReadWindow.bytes > p.size) {
      problems.push(`kernelReadWindow ${hex(board.kernelReadWindow.bytes)} is larger than partition ${p.name}`);
    }
  }
  return problems;
}
