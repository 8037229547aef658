/**
 * The shell commands the SFTP flasher runs on the device, as pure functions so that a test can
 * run the same ones against nandsim. NAND: erase the whole slot, `nandwrite -p` (pad the last
 * page; bad blocks are skipped), read back with `nanddump --bb=skipbad`, which skips the same
 * blocks. The QEMU stand-in's block device: dd, read back with head.
 */
import type { FlashKind } from './preflight.js';

/** Single quotes for the device's sh. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Writes `file` to the start of the slot `device`. */
export function writeSlotCommand(kind: FlashKind, device: string, file: string): string {
  if (kind === 'mtd') return `flash_erase -q ${shellQuote(device)} 0 0 && nandwrite -p -q ${shellQuote(device)} ${shellQuote(file)}`;
  return `dd if=${shellQuote(file)} of=${shellQuote(device)} bs=1M conv=fsync status=none`;
}

/** Prints the sha256 of the slot's first `bytes` bytes, read from the flash. */
export function readBackCommand(kind: FlashKind, device: string, bytes: number): string {
  if (kind === 'mtd') {
    return `nanddump -q --bb=skipbad -l ${bytes} ${shellQuote(device)} 2>/dev/null | head -c ${bytes} | sha256sum | cut -d' ' -f1`;
  }
  // drop the page cache first, so the bytes come from the disk and not from what dd just wrote
  return `sync; echo 1 > /proc/sys/vm/drop_caches; head -c ${bytes} ${shellQuote(device)} | sha256sum | cut -d' ' -f1`;
}

/**
 * Every change in one `fw_setenv -s -` write. libubootenv 0.3.2 takes `name=value` lines and
 * silently ignores u-boot-tools' `name value` form, so the script uses `=`.
 */
export function setEnvCommand(changes: readonly (readonly [string, string])[]): { command: string; stdin: string } {
  for (const [name, value] of changes) {
    if (/[=\s]/.test(name) || value.includes('\n')) throw new Error(`cannot set ${JSON.stringify(name)} through a fw_setenv script`);
  }
  return { command: 'fw_setenv -s -', stdin: changes.map(([name, value]) => `${name}=${value}\n`).join('') };
}

/** The sha256 of a file on the device (a finished or partial upload). */
export function fileSha256Command(file: string, bytes?: number): string {
  const source = bytes === undefined ? `cat ${shellQuote(file)}` : `head -c ${bytes} ${shellQuote(file)}`;
  return `${source} | sha256sum | cut -d' ' -f1`;
}
