/**
 * What `mcdebian flash tftp` types at U-Boot's prompt, as pure functions of the board, the slot
 * and the image, so that every line is tested and `--dry-run` prints exactly what would run.
 *
 *   prepare (stand-in: import u_env) → load (tftpboot) → write the slot, reset the boot counter
 *   → restore what loading changed in the environment → switch slot and read window, save → reset
 *
 * The stock Linksys U-Boot (`marvell-nand`) writes NAND and saves u_env with `saveenv`. On
 * qemu-armhf u-boot-qemu writes the stand-in disk with `virtio write` and handles u_env the way
 * the stand-in's boot script does (flash/stand-in.ts): `env import -d -c` and `env export -c`.
 * Variable names come from the board (camelCase on the Armada 385 boards, lower_case on mamba).
 * Which slot, and the checks before it, are tftp-plan.ts.
 */
import type { Board } from '../board/board.js';
import { flashOf, flashPartition } from '../board/flash.js';
import { UserError } from '../build/core/errors.js';
import { ENV_ADDRESS, standInLayout, standInPartition } from './stand-in.js';
import { renderBootCountRecord } from './bootcount.js';
import type { TftpFlashPlan } from './tftp-plan.js';

export type TftpPhase = 'prepare' | 'load' | 'write' | 'restore' | 'switch' | 'reset';

export interface ConsoleCommand {
  phase: TftpPhase;
  command: string;
  /** What the output must show: U-Boot's exit status never reaches the console, only its words. */
  expect?: RegExp;
  timeoutMs: number;
}

/** The files in the TFTP server's directory. */
export const TFTP_FILES = { image: 'kernel.uimg', bootCounter: 's_env.bin' } as const;

/**
 * Ethernet MTU 1500 less the IP, UDP and TFTP headers (tftpd-hpa's man page). u-boot-qemu 2023.01
 * caps larger requests to this ("Capping tftp block size option to 1468"): it has no IP
 * reassembly. Whether the stock U-Boot sends blksize at all is unknown; unknown variables are harmless.
 */
export const TFTP_BLOCK_SIZE = 1468;

const SECOND = 1000;
const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 512;
const hex = (n: number): string => `0x${n.toString(16)}`;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
/** A floor for slow links plus the bytes at a pessimistic rate. */
const transferTimeout = (bytes: number, bytesPerSecond: number): number => 30 * SECOND + Math.ceil((bytes / bytesPerSecond) * SECOND);

function consoleOf(board: Board) {
  if (!board.ubootConsole || !board.ubootEnv || !board.kernelSlots || !flashOf(board)) {
    throw new UserError(`${board.id} has no U-Boot console and kernel slots to flash over TFTP`, { hint: 'flash tftp writes a router\'s NAND slot (or qemu-armhf\'s stand-in); flash usb writes a stick' });
  }
  return { dialect: board.ubootConsole.dialect, env: board.ubootEnv, slots: board.kernelSlots, flash: flashOf(board)! };
}

function partitionOf(board: Board, name: string) {
  const partition = flashPartition(board, name);
  if (!partition) throw new Error(`${board.id} has no ${name} partition`);
  return partition;
}

/** The stand-in's u_env on the disk, in 512-byte blocks. */
function standInEnvBlocks(board: Board): { block: string; count: string } {
  const env = board.ubootEnv!;
  const partition = standInPartition(standInLayout(board), env.partition);
  return { block: hex((partition.start + env.offset) / BLOCK), count: hex(Math.ceil(env.size / BLOCK)) };
}

/** The stand-in reads u_env itself, as its boot script does: -d so the environment is u_env alone. */
export function prepareCommands(board: Board): ConsoleCommand[] {
  const { dialect, env } = consoleOf(board);
  if (dialect === 'marvell-nand') return [];
  const blocks = standInEnvBlocks(board);
  return [
    { phase: 'prepare', command: 'virtio scan', timeoutMs: 10 * SECOND },
    { phase: 'prepare', command: `virtio read ${hex(ENV_ADDRESS)} ${blocks.block} ${blocks.count}`, expect: /blocks read: OK/, timeoutMs: 10 * SECOND },
    { phase: 'prepare', command: `env import -d -c ${hex(ENV_ADDRESS)} ${hex(env.size)}`, timeoutMs: 10 * SECOND },
  ];
}

/** Network, then the image into RAM at the load address, whose page tail is erased-flash 0xff rather than stale RAM. */
export function loadCommands(board: Board, plan: TftpFlashPlan): ConsoleCommand[] {
  const { env, flash } = consoleOf(board);
  const load = `\${${env.variables.defaultLoadAddr}}`;
  const { ipaddr, serverip, netmask, gatewayip } = plan.network;
  const settings = Object.entries({ ipaddr, serverip, netmask, gatewayip, tftpblocksize: String(TFTP_BLOCK_SIZE) })
    .filter((entry): entry is [string, string] => entry[1] !== undefined);
  return [
    ...settings.map(([name, value]): ConsoleCommand => ({ phase: 'load', command: `setenv ${name} ${value}`, timeoutMs: 10 * SECOND })),
    { phase: 'load', command: `mw.b ${load} 0xff ${hex(roundUp(plan.imageBytes, flash.pageSize))}`, timeoutMs: 10 * SECOND },
    {
      phase: 'load',
      command: `tftpboot ${load} ${TFTP_FILES.image}`,
      expect: new RegExp(`Bytes transferred = ${plan.imageBytes} `),
      timeoutMs: transferTimeout(plan.imageBytes, 200 * KiB),
    },
  ];
}

/**
 * The slot, then the boot counter reset as OpenWrt's resetbc writes it [OW-RBC] and the stock
 * upgrade leaves it (flash/README.md, "The s_env boot counter"), so the new slot gets its full
 * auto-recovery tries. On NAND only the record's page is written: programming erased pages with
 * 0xff data would spend them.
 */
export function writeCommands(board: Board, plan: TftpFlashPlan): ConsoleCommand[] {
  const { dialect, env, slots, flash } = consoleOf(board);
  const load = `\${${env.variables.defaultLoadAddr}}`;
  const slot = partitionOf(board, slots.find((s) => s.slot === plan.slot)!.partition);
  const counter = partitionOf(board, board.bootCounter!.partition);
  const bytes = roundUp(plan.imageBytes, flash.pageSize);
  const fetchCounter: ConsoleCommand = {
    phase: 'write', command: `tftpboot ${load} ${TFTP_FILES.bootCounter}`, expect: new RegExp(`Bytes transferred = ${counter.size} `), timeoutMs: 30 * SECOND,
  };
  if (dialect === 'marvell-nand') {
    return [
      { phase: 'write', command: `nand erase ${hex(slot.offset)} ${hex(slot.size)}`, expect: /\bOK\b/, timeoutMs: transferTimeout(slot.size, 1 * MiB) },
      { phase: 'write', command: `nand write ${load} ${hex(slot.offset)} ${hex(bytes)}`, expect: /bytes written: OK/, timeoutMs: transferTimeout(bytes, 256 * KiB) },
      fetchCounter,
      { phase: 'write', command: `nand erase ${hex(counter.offset)} ${hex(counter.size)}`, expect: /\bOK\b/, timeoutMs: 30 * SECOND },
      { phase: 'write', command: `nand write ${load} ${hex(counter.offset)} ${hex(flash.pageSize)}`, expect: /bytes written: OK/, timeoutMs: 30 * SECOND },
    ];
  }
  const layout = standInLayout(board);
  const slotStart = standInPartition(layout, slot.name).start;
  const counterStart = standInPartition(layout, counter.name).start;
  return [
    { phase: 'write', command: `virtio write ${load} ${hex(slotStart / BLOCK)} ${hex(bytes / BLOCK)}`, expect: /blocks written: OK/, timeoutMs: transferTimeout(bytes, 1 * MiB) },
    fetchCounter,
    { phase: 'write', command: `virtio write ${load} ${hex(counterStart / BLOCK)} ${hex(counter.size / BLOCK)}`, expect: /blocks written: OK/, timeoutMs: 30 * SECOND },
  ];
}

/** s_env as resetbc leaves it: the count-0 record in the first page, the rest erased. */
export function bootCounterImage(board: Board): Buffer {
  const counter = partitionOf(board, board.bootCounter!.partition);
  const image = Buffer.alloc(counter.size, 0xff);
  renderBootCountRecord({ count: 0 }, board.bootCounter!).copy(image, 0);
  return image;
}

/** Variables U-Boot will not change or delete (env flags), and which describe the hardware anyway. */
const PROTECTED = /^(?:eth\d*addr|serial#)$/;

/**
 * Puts back what loading changed (ipaddr, serverip, ethact, filesize, ...), so the saved
 * environment is the one found plus the slot switch.
 */
export function restoreCommands(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): ConsoleCommand[] {
  const commands: string[] = [];
  for (const name of after.keys()) if (!before.has(name) && !PROTECTED.test(name)) commands.push(`setenv ${name}`);
  for (const [name, value] of before) if (after.get(name) !== value && !PROTECTED.test(name)) commands.push(`setenv ${name} ${quoteValue(name, value)}`);
  return commands.map((command) => ({ phase: 'restore', command, timeoutMs: 10 * SECOND }));
}

/** Bare when it is one plain word; single quotes (no expansion in hush or the old parser) otherwise. */
function quoteValue(name: string, value: string): string {
  if (/^[\w.:,/+-]+$/.test(value)) return value;
  if (value.includes("'")) throw new UserError(`cannot put U-Boot's ${name} back: its value has a single quote`, { hint: `set it by hand at the prompt: ${name}=${value}` });
  return `'${value}'`;
}

/** The slot switch and read window, then the save: last, so a failure before leaves the old slot booting. */
export function switchCommands(board: Board, plan: TftpFlashPlan): ConsoleCommand[] {
  const { dialect, env, slots } = consoleOf(board);
  const names = env.variables;
  const target = slots.find((s) => s.slot === plan.slot)!;
  const settings: ConsoleCommand[] = [
    `setenv ${target.readSizeVariable} ${hex(plan.readSize)}`,
    `setenv ${names.autoRecovery} yes`,
    `setenv ${names.bootPart} ${plan.slot}`,
    `setenv ${names.bootCmd} '${env.slotBootCommands[plan.slot]}'`,
  ].map((command) => ({ phase: 'switch', command, timeoutMs: 10 * SECOND }));
  if (dialect === 'marvell-nand') {
    return [...settings, { phase: 'switch', command: 'saveenv', expect: /\b(?:done|OK)\b/, timeoutMs: 60 * SECOND }];
  }
  const blocks = standInEnvBlocks(board);
  return [
    ...settings,
    { phase: 'switch', command: `env export -c -s ${hex(env.size)} ${hex(ENV_ADDRESS)}`, timeoutMs: 10 * SECOND },
    { phase: 'switch', command: `virtio write ${hex(ENV_ADDRESS)} ${blocks.block} ${blocks.count}`, expect: /blocks written: OK/, timeoutMs: 10 * SECOND },
  ];
}
