/**
 * A journal's file on open: created when missing (0600, in a 0700 directory), read whole, and
 * an error told apart: one a later start may get past (space, resources) from one it will not
 * (permissions, a failing disk, a directory in the file's place), which JournalUnusableError
 * reports with what to do, so that the service stops instead of restarting for ever.
 */
import { closeSync, constants, open, readFile } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { errnoOf } from './journal-file-system.js';
import { JournalError } from './journal-format.js';

/**
 * A journal that cannot be opened, where starting again would meet the same: the file or its
 * directory cannot be read or written, or its damaged lines cannot be set aside. The message
 * says what to do.
 */
export class JournalUnusableError extends JournalError {}

const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND;
const openAsync = promisify(open);
const readFd = promisify(readFile) as (fd: number) => Promise<Buffer>;
/** Errors at open that a later start may get past: they fail the open without calling the journal unusable. */
const TRANSIENT_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'EINTR', 'EBUSY']);

/** Where a compaction writes before its rename. */
export const compactionPath = (path: string): string => `${path}.compact`;

/** Creates the directory and the file when missing, and reads the file whole. */
export async function openJournalFile(path: string): Promise<{ fd: number; content: Buffer }> {
  let fd: number | undefined;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await rm(compactionPath(path), { force: true }); // left by a crash before its rename: the journal is whole
    fd = await openAsync(path, OPEN_FLAGS, 0o600);
    return { fd, content: await readFd(fd) };
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    throw unusableOr(path, error);
  }
}

/** Opens the journal's directory, for the fsyncs that make a created or renamed file's name durable. */
export async function openDirectory(path: string): Promise<number> {
  return openAsync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
}

/** An error at open as JournalUnusableError, unless a later start may get past it. */
export function unusableOr(path: string, error: unknown): unknown {
  const code = errnoOf(error);
  if (error instanceof JournalError || code === undefined || TRANSIENT_ERRORS.has(code)) return error;
  return new JournalUnusableError(`${path}: the journal cannot be read (${describeError(error)}), and starting again will not change that; ` +
    'check the disk (dmesg) and that the file and its directory are the service user\'s to read and write, ' +
    'or move the file aside to start with an empty store; then start the service again', { cause: error });
}

/**
 * close(2) whose failure changes nothing: the descriptor is released either way (close(2),
 * NOTES), and whether the data reached the disk is what the fsyncs said. It runs inside the
 * journal's group-commit loop, where a throw would end the loop with waiters left hanging.
 */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // see above
  }
}

export const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));
