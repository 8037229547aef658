/**
 * `flash sftp --rootfs`: the root filesystem on the USB stick, updated over the same connection,
 * as OpenWrt's sysupgrade keeps /etc files. The running root cannot be replaced under itself, so
 * the new tree is staged beside it in /.mcdebian-next, the kept paths are copied into it from the
 * running system, and a marker written last makes it complete. At the next boot the initramfs
 * (rootfs/files/mcdebian-rootfs-swap) renames it into place, keeping the old root in
 * /.mcdebian-previous until the boot is confirmed healthy.
 */
import { shellQuote } from './slot-commands.js';

/** Carried over unless the config says otherwise: what makes the device itself. */
export const DEFAULT_KEEP = [
  '/etc/ssh/ssh_host_*', // its identity: known_hosts, and the flasher's own host key pin
  '/etc/machine-id',
  '/var/lib/bind', // dns-blacklist's list as changed through its API (the zone's journal)
] as const;

export const STAGE_DIR = '/.mcdebian-next';
const STAGE_MARKER = `${STAGE_DIR}/.mcdebian-complete`;
/** What an earlier update left: a root waiting for its health check, or one that failed. */
const LEFTOVERS = ['/.mcdebian-next', '/.mcdebian-previous', '/.mcdebian-failed'];

/** The kept paths: defaults first, then the config's, without repeats. */
export function keepList(extra: readonly string[]): string[] {
  return [...new Set([...DEFAULT_KEEP, ...extra])];
}

/**
 * The commands that stage `tarball` (a gzip'd rootfs.tar on the device) for the next boot. Globs
 * are left unquoted for the device's sh to expand; the config schema allows no other shell
 * characters in them. Paths that do not exist are skipped.
 */
export function stageCommands(tarball: string, keep: readonly string[]): { step: string; command: string }[] {
  const copies = keep.map((path) => `for p in ${path}; do if [ -e "$p" ] || [ -L "$p" ]; then cp -a --parents "$p" ${STAGE_DIR}/; fi; done`);
  return [
    { step: 'remove what an earlier root filesystem update left', command: `rm -rf ${LEFTOVERS.join(' ')}` },
    { step: 'unpack the new root filesystem', command: `mkdir ${STAGE_DIR} && tar -xzpf ${shellQuote(tarball)} -C ${STAGE_DIR} --numeric-owner --xattrs --xattrs-include=security.capability` },
    { step: 'copy the kept paths into it', command: copies.join('; ') },
    { step: 'mark it complete for the next boot', command: `rm -f ${shellQuote(tarball)} && sync && : > ${STAGE_MARKER} && sync` },
  ];
}

/** What the root filesystem update came to, seen after the reboot. */
export type RootfsState = 'in-place' | 'not-swapped' | 'put-back';

/** Prints in-place, not-swapped or put-back. */
export const ROOTFS_STATE_COMMAND =
  `if [ -e ${STAGE_MARKER} ]; then echo not-swapped; elif [ -d /.mcdebian-failed ] && [ ! -d /.mcdebian-previous ]; then echo put-back; else echo in-place; fi`;
