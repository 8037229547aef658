/**
 * The file system calls a journal makes once it is open, behind an interface so that tests can
 * count them or make them fail (ENOSPC on write, EIO on fdatasync) where a real disk would.
 */
import { fdatasync, fsync, writeSync } from 'node:fs';
import { promisify } from 'node:util';

/** The file system calls the journal makes once open; tests replace them to count or fail them. */
export interface JournalFileSystem {
  /** Writes at the end of the file (it is opened with O_APPEND); may write less than asked. */
  writeSync(fd: number, buffer: Buffer, offset: number): number;
  /** fdatasync(2): the file's data and size reach the disk. */
  fdatasync(fd: number): Promise<void>;
  /** fsync(2) of the directory, after the file was created or renamed into place. */
  fsync(fd: number): Promise<void>;
}

/** Node's own calls. */
export const nodeFileSystem: JournalFileSystem = {
  writeSync: (fd, buffer, offset) => writeSync(fd, buffer, offset),
  fdatasync: promisify(fdatasync),
  fsync: promisify(fsync),
};

/** Writes all of data, however many calls it takes; throws what the first failing call throws. */
export function writeFully(fs: JournalFileSystem, fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length;) offset += fs.writeSync(fd, data, offset);
}

/** Out of space (or quota): what a later try may get past once space is freed. */
export function isSpaceError(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The errno code of an error or of the error it wraps. */
export function errnoOf(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
