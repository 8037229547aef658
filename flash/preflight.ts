/**
 * Before anything is written: does the device match the board, and which slot gets the image?
 * A pure function of the board, what the device said (device-probe.ts) and the image. Every
 * mismatch is reported at once, each naming what the device has and what the board expects.
 */
import type { Board, KernelSlot } from '../board/board.js';
import { flashOf } from '../board/flash.js';
import type { DeviceFacts, FlashPartitionFacts } from './device-probe.js';

const MiB = 1024 * 1024;
const hex = (n: number): string => `0x${n.toString(16)}`;

export interface FlashImage {
  path: string;
  bytes: number;
  sha256: string;
  /** The root UUID its initramfs mounts, from the build's manifest; unknown for --image. */
  rootUuid?: string;
}

/** How the slot is written: mtd-utils on NAND, dd on the QEMU stand-in's block device. */
export type FlashKind = 'mtd' | 'block';

export interface FlashPlan {
  kind: FlashKind;
  /** The slot running now (boot_part, confirmed by the kernel command line). */
  activeSlot: 1 | 2;
  targetSlot: 1 | 2;
  /** The target slot's partition on the device. */
  target: FlashPartitionFacts;
  /** Environment changes, written in one fw_setenv. */
  envChanges: [string, string][];
  /** The target's read window after the write. */
  readSize: number;
  /** The boot counter the running system left; above 0, it has not confirmed its own health. */
  bootCount?: number;
}

export type PreflightResult = { ok: true; plan: FlashPlan } | { ok: false; problems: string[] };

/** The slot a kernel command line booted, from the root= each slot's stock boot passes. */
export function bootedSlot(board: Board, cmdline: string): 1 | 2 | undefined {
  const root = /(?:^|\s)root=(\S+)/.exec(cmdline)?.[1];
  return board.kernelSlots?.find((slot) => slot.stockRoot === root)?.slot;
}

/** The read size the flasher sets: the blob rounded up to a MiB, never below what is set now. */
export function readSizeFor(imageBytes: number, current: number | undefined): number {
  const needed = Math.ceil(imageBytes / MiB) * MiB;
  return current !== undefined && current >= needed ? current : needed;
}

/** A root filesystem update's room on the stick: the upload, then the unpacked tree. */
export interface RootfsRoom {
  uploadBytes: number;
  unpackedBytes: number;
}

export function preflight(board: Board, facts: DeviceFacts, image: FlashImage, rootfs?: RootfsRoom): PreflightResult {
  const flash = flashOf(board);
  const env = board.ubootEnv;
  const slots = board.kernelSlots;
  if (!flash || !env || !slots) return { ok: false, problems: [`${board.id} has no kernel slots to flash over SFTP`] };
  const problems: string[] = [];

  if (board.compatible && facts.compatible !== board.compatible) {
    problems.push(`device tree: the device is "${facts.compatible ?? 'unknown (no /proc/device-tree)'}", ${board.id} is "${board.compatible}": is --board right?`);
  }

  const kind: FlashKind = board.nand ? 'mtd' : 'block';
  const found = kind === 'mtd' ? facts.mtd : facts.partlabels;
  const where = kind === 'mtd' ? '/proc/mtd' : '/dev/disk/by-partlabel';
  for (const expected of flash.partitions) {
    const actual = found.find((p) => p.name === expected.name);
    if (!actual) problems.push(`partitions: no "${expected.name}" in ${where} (${board.id} has it at ${hex(expected.offset)}, ${hex(expected.size)} bytes)`);
    else if (actual.size !== expected.size) problems.push(`partitions: "${expected.name}" is ${hex(actual.size)} bytes on the device, ${hex(expected.size)} on ${board.id}`);
    else if (kind === 'mtd' && actual.eraseSize !== flash.eraseBlock) {
      problems.push(`partitions: "${expected.name}" erases in ${hex(actual.eraseSize ?? 0)} blocks, ${board.id}'s NAND in ${hex(flash.eraseBlock)}`);
    }
  }
  const names = env.variables;
  let activeSlot: 1 | 2 | undefined;
  if (!facts.env) {
    problems.push(`U-Boot environment: fw_printenv failed (${facts.envError}); without it the slot cannot be switched`);
  } else {
    const bootPart = facts.env.get(names.bootPart);
    if (bootPart !== '1' && bootPart !== '2') problems.push(`U-Boot environment: ${names.bootPart} is ${bootPart === undefined ? 'unset' : `"${bootPart}"`}, not 1 or 2`);
    else {
      activeSlot = Number(bootPart) as 1 | 2;
      const bootCmd = facts.env.get(names.bootCmd);
      if (bootCmd !== env.slotBootCommands[activeSlot]) {
        problems.push(`U-Boot environment: ${names.bootCmd} is "${bootCmd ?? ''}" but ${names.bootPart}=${activeSlot} boots with "${env.slotBootCommands[activeSlot]}"`);
      }
    }
    for (const slot of slots) {
      for (const variable of [slot.readSizeVariable, slot.slot === 1 ? names.priKernAddr : names.altKernAddr]) {
        if (!facts.env.has(variable)) problems.push(`U-Boot environment: ${variable} is not set; this is not ${board.id}'s stock environment`);
      }
    }
  }

  const booted = bootedSlot(board, facts.cmdline);
  if (booted === undefined) {
    problems.push(`active slot: the kernel command line has no root= of either slot (${slots.map((s) => s.stockRoot).join(', ')}): "${facts.cmdline}"`);
  } else if (activeSlot !== undefined && booted !== activeSlot) {
    problems.push(
      `active slot: the device booted slot ${booted} but ${names.bootPart} is ${activeSlot}: ` +
      'a fallback or an unfinished flash; reboot it (or set the slot back) before flashing again',
    );
  }

  const tools = kind === 'mtd' ? ['flash_erase', 'nandwrite', 'nanddump'] : ['dd', 'head'];
  const missing = ['fw_printenv', 'fw_setenv', 'sha256sum', ...tools].filter((tool) => !facts.tools.has(tool));
  if (missing.length > 0) problems.push(`tools: the device lacks ${missing.join(', ')} (Debian packages mtd-utils, libubootenv-tool, coreutils)`);

  const needed = image.bytes + (rootfs ? rootfs.uploadBytes + rootfs.unpackedBytes : 0);
  if (facts.freeBytes !== undefined && facts.freeBytes < needed) {
    const what = rootfs ? `the image, the root filesystem's upload and its unpacked tree need ${needed}` : `the image needs ${image.bytes}`;
    problems.push(`space: ${facts.freeBytes} bytes free in the upload directory, ${what}`);
  }

  if (image.rootUuid && facts.rootUuid && image.rootUuid !== facts.rootUuid) {
    problems.push(
      `root filesystem: the image's initramfs mounts UUID=${image.rootUuid}, but this device's root is UUID=${facts.rootUuid} ` +
      '(a build from another base): the kernel would not find its root. Write the stick from the same build first (mcdebian flash usb)',
    );
  }

  const targetSlot: 1 | 2 | undefined = activeSlot === undefined ? undefined : activeSlot === 1 ? 2 : 1;
  const targetSpec: KernelSlot | undefined = slots.find((slot) => slot.slot === targetSlot);
  const target = targetSpec ? found.find((p) => p.name === targetSpec.partition) : undefined;
  if (targetSpec && target && image.bytes > target.size) {
    problems.push(`image: ${image.path} is ${image.bytes} bytes, larger than the ${target.size}-byte ${target.name} partition`);
  }

  if (problems.length > 0 || !activeSlot || !targetSlot || !targetSpec || !target || !facts.env) return { ok: false, problems };
  const current = Number.parseInt(facts.env.get(targetSpec.readSizeVariable) ?? '', 16);
  const readSize = readSizeFor(image.bytes, Number.isNaN(current) ? undefined : current);
  return {
    ok: true,
    plan: {
      kind,
      activeSlot,
      targetSlot,
      target,
      readSize,
      bootCount: facts.bootCount,
      envChanges: [
        [targetSpec.readSizeVariable, hex(readSize)],
        [names.autoRecovery, 'yes'],
        [names.bootPart, String(targetSlot)],
        [names.bootCmd, env.slotBootCommands[targetSlot]],
      ],
    },
  };
}
