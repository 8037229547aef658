/**
 * Before anything is written: the environment U-Boot printed, checked against the board, and the
 * slot to write. A pure function of the board and `printenv`'s output.
 */
import type { Board, UBootNetwork } from '../board/board.js';
import { flashPartition } from '../board/flash.js';
import { UserError } from '../build/core/errors.js';
import { readSizeFor } from './preflight.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** What the inspection of the environment decided. */
export interface TftpFlashPlan {
  /** The slot that boots now (boot_part); undefined when unset and --slot chose. */
  activeSlot?: 1 | 2;
  /** The slot written. */
  slot: 1 | 2;
  imageBytes: number;
  /** The slot's read window after the flash. */
  readSize: number;
  network: UBootNetwork;
}

/** `name=value` lines of `printenv`, up to its "Environment size" footer. */
export function parsePrintenv(output: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^([^=\s]+)=(.*)$/.exec(line);
    if (match) variables.set(match[1]!, match[2]!);
  }
  return variables;
}

/** U-Boot's nand and virtio commands read numbers as hex, with or without 0x. */
function parseHex(value: string | undefined): number | undefined {
  if (value === undefined || !/^(?:0x)?[0-9a-f]+$/i.test(value)) return undefined;
  return Number.parseInt(value.replace(/^0x/i, ''), 16);
}

export interface PlanOptions {
  imageBytes: number;
  /** --slot; otherwise the slot boot_part does not name. */
  slot?: 1 | 2;
  network: UBootNetwork;
}

/**
 * Checks the environment U-Boot printed against the board, before anything is written, and picks
 * the slot: every mismatch is reported at once. The slots' address variables must name the
 * board's partitions, because that is where nandboot/altnandboot read.
 */
export function planFlash(board: Board, env: ReadonlyMap<string, string>, options: PlanOptions): TftpFlashPlan {
  const uboot = board.ubootEnv;
  const slots = board.kernelSlots;
  if (!uboot || !slots) throw new UserError(`${board.id} has no U-Boot environment and kernel slots to flash`);
  const names = uboot.variables;
  const problems: string[] = [];
  const bootPart = env.get(names.bootPart);
  const activeSlot = bootPart === '1' || bootPart === '2' ? (Number(bootPart) as 1 | 2) : undefined;
  if (activeSlot === undefined && options.slot === undefined) {
    problems.push(`${names.bootPart} is ${bootPart === undefined ? 'not set' : `"${bootPart}"`}, so the inactive slot is unknown: pass --slot 1 or --slot 2`);
  }
  // both, because boot_part flips between them
  for (const kernelSlot of slots) {
    const partition = flashPartition(board, kernelSlot.partition)!;
    const variable = kernelSlot.slot === 1 ? names.priKernAddr : names.altKernAddr;
    if (parseHex(env.get(variable)) !== partition.offset) {
      problems.push(`${variable} is ${env.get(variable) ?? 'not set'}, but ${board.id}'s ${partition.name} starts at ${hex(partition.offset)}: is --board right?`);
    }
  }
  if (!env.has(names.defaultLoadAddr)) problems.push(`${names.defaultLoadAddr} is not set: nowhere to load the image (is --board right?)`);
  if (problems.length > 0) {
    throw new UserError(`U-Boot's environment does not match ${board.id}; nothing was written:\n  ${problems.join('\n  ')}`, {
      hint: 'mcdebian boards --json shows the board\'s partitions and variable names',
    });
  }
  const slot = options.slot ?? (activeSlot === 1 ? 2 : 1);
  const target = slots.find((s) => s.slot === slot)!;
  const readSize = readSizeFor(options.imageBytes, parseHex(env.get(target.readSizeVariable)));
  return { activeSlot, slot, imageBytes: options.imageBytes, readSize, network: options.network };
}
