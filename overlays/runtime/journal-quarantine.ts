/**
 * The quarantine beside a journal, `<journal>.quarantine` (0600): damaged lines moved out of
 * the journal, kept for a person to look at, mend and put back by hand. One JSON object a line:
 * when, which journal and line, why, and the line itself, as text when it is valid UTF-8 (it
 * almost always is: a journal line is text) and as base64 when it is not, so nothing is lost.
 * Appended, never rewritten: every start that quarantined something adds its own lines.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, ftruncateSync, openSync } from 'node:fs';
import type { DamagedLine } from './journal-format.js';
import { writeFully, type JournalFileSystem } from './journal-file-system.js';

/** Where a journal's damaged lines go. */
export const quarantinePath = (journalPath: string): string => `${journalPath}.quarantine`;

/** One quarantined line as the file holds it. */
export interface QuarantineEntry {
  quarantinedAt: string;
  journal: string;
  line: number;
  reason: string;
  text?: string;
  base64?: string;
}

/**
 * Appends the damaged lines to the quarantine file and waits until they are on disk (and the
 * file's name too, through the directory's fsync), so that the journal may then drop them.
 */
export async function writeQuarantine(options: { journalPath: string; damaged: readonly DamagedLine[]; fs: JournalFileSystem; directoryFd: number; now?: Date }): Promise<string> {
  const path = quarantinePath(options.journalPath);
  const quarantinedAt = (options.now ?? new Date()).toISOString();
  const entries = options.damaged.map(({ line, reason, bytes }): QuarantineEntry => ({
    quarantinedAt,
    journal: options.journalPath,
    line,
    reason,
    ...(isUtf8(bytes) ? { text: bytes.toString('utf8') } : { base64: bytes.toString('base64') }),
  }));
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
  const size = fstatSync(fd).size;
  try {
    writeFully(options.fs, fd, Buffer.from(entries.map((entry) => `${JSON.stringify(entry)}\n`).join('')));
    await options.fs.fdatasync(fd);
    await options.fs.fsync(options.directoryFd);
  } catch (error) {
    // a half-written entry would run into the next start's first one
    try {
      ftruncateSync(fd, size);
    } catch {
      // the entries are for a person to read; a torn one does not stop the next start
    }
    throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}
