/**
 * The disks one `mcdebian boot` runs on, made in a directory of its own: a copy-on-write overlay
 * over the build's usb.img (x86-64: disk.img), and for qemu-armhf the flash stand-in (from the
 * build's kernel.uimg, or the user's --flash-disk file, kept), for x86-64 a copy of OVMF's
 * variables. Reads out/<board>/; the build's artifacts stay untouched.
 */
import { access, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Board } from '../board/board.js';
import { armBootArgs, overlayArgs, OVMF_VARS, x86BootArgs, type PortForward } from './boot.js';
import { UserError } from './core/errors.js';
import type { GuestLink } from './guest-link.js';
import { runCommand } from './core/exec.js';
import type { ConsoleOptions } from './qemu-console.js';
import { createStandInDisk } from './stand-in-disk.js';

/** The files a boot of the board runs on. */
export type GuestDisks =
  | { kind: 'arm'; overlay: string; flashDisk: string }
  | { kind: 'x86'; overlay: string; vars: string };

/** The artifacts each bootable board needs. */
function neededArtifacts(board: Board): string[] {
  if (board.bootMethod === 'qemu-uimage') return ['kernel.uimg', 'usb.img'];
  if (board.bootMethod === 'uefi') return ['disk.img'];
  throw new UserError(`${board.id} is real hardware; mcdebian boot runs qemu-armhf and x86-64`, { hint: 'flash it instead (mcdebian flash), or boot qemu-armhf, its stand-in' });
}

/** Refuses a board that does not boot in QEMU, and a build that is not there. */
export async function checkBootable(board: Board, options: { out: string; config?: string }): Promise<void> {
  for (const name of neededArtifacts(board)) {
    await access(join(options.out, name)).catch(() => {
      throw new UserError(`no ${name} in ${options.out}`, { hint: `build it first: mcdebian build --board ${board.id}${options.config ? ` -c ${options.config}` : ''}` });
    });
  }
}

/** Makes the disks in `dir`; a --flash-disk file is made there only when it does not exist. */
export async function prepareGuestDisks(board: Board, options: { out: string; dir: string; flashDisk?: string }): Promise<GuestDisks> {
  if (board.bootMethod === 'uefi') {
    const overlay = join(options.dir, 'disk.qcow2');
    await runCommand(overlayArgs(join(options.out, 'disk.img'), overlay), { debianPackage: 'qemu-utils' });
    const vars = join(options.dir, 'OVMF_VARS.fd');
    await copyFile(OVMF_VARS, vars).catch(() => {
      throw new UserError(`${OVMF_VARS} not found`, { hint: 'apt-get install ovmf' });
    });
    return { kind: 'x86', overlay, vars };
  }
  const flashDisk = options.flashDisk ? resolve(options.flashDisk) : join(options.dir, 'flash.img');
  const exists = await access(flashDisk).then(() => true, () => false);
  if (!exists) await createStandInDisk(board, { disk: flashDisk, kernel: join(options.out, 'kernel.uimg'), work: options.dir });
  const overlay = join(options.dir, 'usb.qcow2');
  await runCommand(overlayArgs(join(options.out, 'usb.img'), overlay), { debianPackage: 'qemu-utils' });
  return { kind: 'arm', overlay, flashDisk };
}

/** QEMU's argv for the disks, the network and the console. */
export function guestArgs(disks: GuestDisks, options: { sshPort: number; forwards: readonly PortForward[]; links: readonly GuestLink[]; console: ConsoleOptions }): string[] {
  return disks.kind === 'x86' ? x86BootArgs({ ...options, overlay: disks.overlay, vars: disks.vars }) : armBootArgs({ ...options, overlay: disks.overlay, flashDisk: disks.flashDisk });
}
