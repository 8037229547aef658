/**
 * The system part of `mcdebian status`: the commands run on the device and the pure parse of
 * their outputs. The booted slot is the root= the stock bootloader passed (flash/preflight.ts),
 * the next boot's slot is U-Boot's boot_part, and each slot's uImage header (include/image.h:
 * 64 bytes, big-endian) names the image in it. A kernel in /boot newer than the running one
 * (GNU sort -V orders the versions) is an update that reaches the router only in a new kernel
 * blob: it is pending until the next build and flash.
 */
import { crc32 } from 'node:zlib';
import type { Board } from '../../board/board.js';
import { bootedSlot } from '../../flash/preflight.js';
import { UIMAGE_HEADER_BYTES, UIMAGE_MAGIC } from '../../flash/uimage-header.js';
import type { DeviceOutput } from '../../overlays/overlay.js';

/** What one kernel slot holds. */
export interface SlotImage {
  slot: 1 | 2;
  partition: string;
  device: string;
  /** The uImage header's name, build time (ISO 8601) and data size; absent when the slot holds no valid header. */
  image?: { name: string; built: string; bytes: number };
  /** Why there is no image: not readable, no uImage magic, a wrong header CRC. */
  problem?: string;
}

export interface SystemReport {
  hostname: string;
  uptimeSeconds: number;
  /** The device's clock, Unix seconds. */
  now: number;
  /** `systemctl is-system-running`: running, degraded, starting... */
  state: string;
  failedUnits: string[];
  kernel: { running: string; pending: string[] };
  /** Boards with A/B kernel slots. */
  slots?: { booted?: 1 | 2; other?: 1 | 2; next?: 1 | 2; images: SlotImage[] };
  /** The s_env boot counter, on boards that have one. */
  bootCounter?: { count: number } | { error: string };
}

/** The commands, by name, in the order they run. */
export function systemCommands(board: Board): [string, string][] {
  const commands: [string, string][] = [
    ['hostname', 'cat /proc/sys/kernel/hostname'],
    ['clock', 'cat /proc/uptime; date +%s'],
    ['cmdline', 'cat /proc/cmdline'],
    ['state', 'systemctl is-system-running'],
    ['failed', 'systemctl list-units --failed --no-legend --plain'],
    // "running" sorts before "installed" for the same version (-k 1,1r)
    ['kernels', '{ ls -1 /boot | sed -n \'s/^vmlinuz-/installed /p\'; echo "running $(uname -r)"; } | sort -k 2,2V -k 1,1r'],
  ];
  if (board.ubootEnv) commands.push(['bootPart', `fw_printenv -n ${board.ubootEnv.variables.bootPart}`]);
  if (board.bootCounter) commands.push(['bootCounter', 'mcdebian-bootcount print --json']);
  if (board.kernelSlots) {
    const names = board.kernelSlots.map((slot) => slot.partition).join(' ');
    // by name in /proc/mtd, else the QEMU stand-in's GPT partition of that name (as mcdebian-bootcount finds s_env)
    commands.push(['slots', `for name in ${names}; do dev=$(awk -v want="\\"$name\\"" '$4 == want { sub(":", "", $1); print "/dev/" $1 }' /proc/mtd 2>/dev/null); `
      + '[ -n "$dev" ] || dev=/dev/disk/by-partlabel/$name; printf \'%s %s \' "$name" "$dev"; head -c 64 "$dev" 2>/dev/null | od -A n -t x1 -v | tr -d \' \\n\'; echo; done']);
  }
  return commands;
}

/** A slot's header from its hex dump. */
export function parseSlotHeader(hex: string): Pick<SlotImage, 'image' | 'problem'> {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length < UIMAGE_HEADER_BYTES) return { problem: 'could not be read' };
  if (bytes.readUInt32BE(0) !== UIMAGE_MAGIC) return { problem: 'holds no uImage (no 0x27051956 magic)' };
  const header = Buffer.from(bytes.subarray(0, UIMAGE_HEADER_BYTES));
  const stored = header.readUInt32BE(4);
  header.writeUInt32BE(0, 4);
  if (crc32(header) !== stored) return { problem: 'has a uImage header with a wrong CRC' };
  const name = bytes.subarray(32, 64).toString('latin1').replace(/\0.*$/s, '');
  return { image: { name, built: new Date(bytes.readUInt32BE(8) * 1000).toISOString().replace('.000Z', 'Z'), bytes: bytes.readUInt32BE(12) } };
}

/** Running and newer installed kernels from the sorted `kernels` output. */
export function parseKernels(output: string): SystemReport['kernel'] {
  const lines = output.split('\n').map((line) => line.trim().split(/\s+/)).filter((words) => words.length === 2);
  const at = lines.findIndex(([what]) => what === 'running');
  const running = lines[at]?.[1] ?? 'unknown';
  const pending = at < 0 ? [] : lines.slice(at + 1).filter(([what, version]) => what === 'installed' && version !== running).map(([, version]) => version!);
  return { running, pending };
}

function parseSlots(board: Board, outputs: Map<string, DeviceOutput>, cmdline: string): SystemReport['slots'] {
  if (!board.kernelSlots) return undefined;
  const booted = bootedSlot(board, cmdline);
  const next = Number(outputs.get('bootPart')?.stdout.trim());
  const images = board.kernelSlots.map((slot): SlotImage => {
    const line = outputs.get('slots')?.stdout.split('\n').find((entry) => entry.startsWith(`${slot.partition} `)) ?? '';
    const [, device = '', hex = ''] = line.split(' ');
    return { slot: slot.slot, partition: slot.partition, device, ...parseSlotHeader(hex) };
  });
  return { booted, other: booted === undefined ? undefined : booted === 1 ? 2 : 1, next: next === 1 || next === 2 ? next : undefined, images };
}

function parseBootCounter(output: DeviceOutput | undefined): SystemReport['bootCounter'] {
  if (!output) return undefined;
  try {
    const count = (JSON.parse(output.stdout) as { count?: unknown }).count;
    if (typeof count === 'number') return { count };
  } catch {
    // reported below with what the tool said
  }
  return { error: (output.stderr || output.stdout).trim() || `mcdebian-bootcount exited ${output.code}` };
}

/** The system report from the outputs of `systemCommands`, given in the same order. */
export function parseSystem(board: Board, outputs: readonly DeviceOutput[]): SystemReport {
  const byName = new Map(systemCommands(board).map(([name], index) => [name, outputs[index] ?? { stdout: '', stderr: '', code: -1 }]));
  const text = (name: string) => byName.get(name)?.stdout.trim() ?? '';
  const [uptime = '', now = ''] = text('clock').split('\n');
  return {
    hostname: text('hostname'),
    uptimeSeconds: Math.floor(Number(uptime.split(' ')[0]) || 0),
    now: Number(now) || 0,
    state: text('state') || 'unknown',
    failedUnits: text('failed').split('\n').map((line) => line.split(/\s+/)[0] ?? '').filter(Boolean),
    kernel: parseKernels(text('kernels')),
    slots: parseSlots(board, byName, text('cmdline')),
    bootCounter: board.bootCounter ? parseBootCounter(byName.get('bootCounter')) : undefined,
  };
}
