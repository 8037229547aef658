/**
 * An append-only journal of JSON records, one a line; the line format (a CRC32 before each
 * record, a torn last line cut off on open) is in journal-format.ts.
 *
 * Durability: append() is a write(2) that has returned, so a kill -9 cannot lose it;
 * appendDurable() also waits for fdatasync(2). Every caller that arrives while an fsync runs
 * shares the next one (group commit). A failed fsync breaks the journal for good, because a
 * retried fsync can succeed after the kernel dropped the dirty pages ("fsyncgate":
 * https://lwn.net/Articles/752063/, PostgreSQL now panics there too).
 */
import { closeSync, constants, fdatasync, fsync, ftruncate, ftruncateSync, open, openSync, readFile, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { encodeLine, JournalError, parseJournal } from './journal-format.js';

export { JournalError } from './journal-format.js';

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

/** How to open a journal. */
export interface JournalOptions {
  /** The file. Its directory (mode 0700) and the file (mode 0600) are created when missing. */
  path: string;
  /** Wait for fdatasync before durable promises resolve (default true); false only for tests and benchmarks. */
  sync?: boolean;
  /** Replaces some of the file system calls (tests). */
  fileSystem?: Partial<JournalFileSystem>;
}

/** An open journal and what it held. */
export interface OpenedJournal<R> {
  journal: Journal<R>;
  /** Every intact record, oldest first. */
  records: R[];
  /** Present when a torn last line was cut off: its size, and its line number. */
  repaired?: { droppedBytes: number; line: number };
}

interface Waiter { resolve: () => void; reject: (error: unknown) => void }

/** A compaction between writing its file and renaming it over the journal. */
interface Compaction { fd: number; path: string; bytes: number; failure?: unknown; settle: (error?: unknown) => void }

const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND;
const openAsync = promisify(open);
const readFd = promisify(readFile) as (fd: number) => Promise<Buffer>;
const truncateAsync = promisify(ftruncate);
/** Out of space (or quota): the write is rolled back and the journal stays usable, so a later request may succeed. */
const SPACE_ERRORS = new Set(['ENOSPC', 'EDQUOT']);

/** An append-only journal of records of type R (JSON values; Buffers are the caller's to encode). */
export class Journal<R> {
  private bytes: number;
  /** Records appended and records covered by a finished fsync: a flush waits for the second to reach the first. */
  private appended = 0;
  private synced = 0;
  private waiters: Waiter[] = [];
  private syncRunning = false;
  private syncLoop?: Promise<void>;
  private directoryDirty = false;
  private compaction?: Compaction;
  private compacting?: Promise<void>;
  /** File descriptors of replaced files, closed once no fsync can still be using them. */
  private retired: number[] = [];
  private failure?: JournalError;
  private closed = false;

  private constructor(
    private readonly path: string,
    private fd: number,
    private readonly directoryFd: number,
    private readonly fs: JournalFileSystem,
    bytes: number,
  ) {
    this.bytes = bytes;
  }

  /** Opens the journal, reads its records, cuts a torn last line off; a bad line before the last throws. */
  static async open<R>(options: JournalOptions): Promise<OpenedJournal<R>> {
    const { path } = options;
    const fs: JournalFileSystem = { ...nodeFileSystem, ...options.fileSystem };
    if (options.sync === false) Object.assign(fs, { fdatasync: async () => undefined, fsync: async () => undefined });
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await rm(compactionPath(path), { force: true }); // left by a crash before its rename: the journal is whole
    const fd = await openAsync(path, OPEN_FLAGS, 0o600);
    let directoryFd: number | undefined;
    try {
      const content = await readFd(fd);
      const { records, validBytes } = parseJournal<R>(content, path);
      if (validBytes < content.length) {
        await truncateAsync(fd, validBytes);
        await fs.fdatasync(fd);
      }
      directoryFd = await openAsync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
      await fs.fsync(directoryFd); // the file may just have been created
      const journal = new Journal<R>(path, fd, directoryFd, fs, validBytes);
      const dropped = content.length - validBytes;
      return { journal, records, ...(dropped > 0 ? { repaired: { droppedBytes: dropped, line: records.length + 1 } } : {}) };
    } catch (error) {
      closeSync(fd);
      if (directoryFd !== undefined) closeSync(directoryFd);
      throw error;
    }
  }

  /** Bytes in the file now. */
  get size(): number {
    return this.bytes;
  }

  /** Writes the record now: once this returns, a kill -9 cannot lose it (a power loss before the next fsync can). */
  append(record: R): void {
    this.assertUsable();
    const line = encodeLine(record);
    try {
      writeFully(this.fs, this.fd, line);
    } catch (error) {
      this.rollBack(error);
      throw new JournalError(`${this.path}: could not append: ${describe(error)}`, { cause: error });
    }
    this.bytes += line.length;
    this.appended++;
    if (this.compaction) this.mirror(this.compaction, line);
  }

  /**
   * Appends and resolves once the record is on disk. Rejects when the write or the fsync fails;
   * after a failed fsync the record may or may not be read back on the next open.
   */
  async appendDurable(record: R): Promise<void> {
    this.append(record);
    await this.requestSync();
  }

  /** Resolves when everything appended so far is on disk. */
  async flush(): Promise<void> {
    this.assertUsable();
    if (this.synced < this.appended || this.directoryDirty) await this.requestSync();
  }

  /**
   * Replaces the journal with these records (the whole state as of this call). They are written
   * to a new file beside it; appends made meanwhile go to both files, and the rename happens
   * inside a group fsync that synced both, so every record reported durable is in whichever
   * file the name points to after a crash. Writing the records blocks the event loop once (a
   * page-cache write of the live records); the fsyncs do not. One compaction at a time.
   */
  async compact(records: readonly R[]): Promise<void> {
    this.assertUsable();
    if (this.compacting) throw new JournalError(`${this.path}: a compaction is already running`);
    // runs up to its first await now, so that appends after this call are copied into the new file
    this.compacting = this.runCompaction(records).finally(() => (this.compacting = undefined));
    await this.compacting;
  }

  /** Flushes and closes; appends after this throw. Rejects if the journal was broken. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compacting?.catch(() => undefined);
    try {
      if (this.failure) throw this.failure;
      await this.requestSync();
    } finally {
      await this.syncLoop; // its fsync may still be using the file descriptor
      for (const fd of [this.fd, this.directoryFd, ...this.retired.splice(0)]) closeSync(fd);
    }
  }

  private async runCompaction(records: readonly R[]): Promise<void> {
    const path = compactionPath(this.path);
    const data = Buffer.concat(records.map(encodeLine));
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND, 0o600);
    try {
      writeFully(this.fs, fd, data);
    } catch (error) {
      discard(fd, path);
      throw new JournalError(`${path}: could not write the compacted journal: ${describe(error)}`, { cause: error });
    }
    const renamed = new Promise<void>((resolve, reject) => {
      this.compaction = { fd, path, bytes: data.length, settle: (error) => (error === undefined ? resolve() : reject(error)) };
    });
    await Promise.all([this.requestSync(), renamed]);
    await this.requestSync(); // the directory, so that the new file's later appends keep their name
  }

  /** Writes an append into the compaction's file too; failing there abandons the compaction, not the append. */
  private mirror(compaction: Compaction, line: Buffer): void {
    if (compaction.failure !== undefined) return;
    try {
      writeFully(this.fs, compaction.fd, line);
      compaction.bytes += line.length;
    } catch (error) {
      compaction.failure = new JournalError(`${compaction.path}: could not write the compacted journal: ${describe(error)}`, { cause: error });
    }
  }

  /** Cuts a partly written line off so the file stays a sequence of whole lines. */
  private rollBack(error: unknown): void {
    try {
      ftruncateSync(this.fd, this.bytes);
      if (SPACE_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) return;
    } catch {
      // the torn line stays in the middle of the file: nothing may follow it
    }
    this.failure = new JournalError(`${this.path}: unusable after a failed write (${describe(error)}); restart to read it again`, { cause: error });
  }

  private requestSync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.syncRunning) return;
      this.syncRunning = true;
      // a microtask later, so that callers in the same tick (Promise.all) share the first fsync
      this.syncLoop = Promise.resolve().then(() => this.runSyncs());
    });
  }

  /** The group commit loop: each round fsyncs everything appended before it and answers the waiters queued before it. */
  private async runSyncs(): Promise<void> {
    while (this.waiters.length > 0 && !this.failure) {
      const batch = this.waiters.splice(0);
      const upTo = this.appended;
      try {
        await this.syncOnce();
      } catch (error) {
        this.failure = new JournalError(`${this.path}: fsync failed (${describe(error)}); records since the last good fsync may be lost: restart to read the journal again`, { cause: error });
        batch.forEach((waiter) => waiter.reject(this.failure));
        if (this.compaction) this.abandonCompaction(this.compaction, this.failure);
        break;
      }
      this.synced = upTo;
      batch.forEach((waiter) => waiter.resolve());
    }
    if (this.failure) this.waiters.splice(0).forEach((waiter) => waiter.reject(this.failure));
    this.syncRunning = false;
    this.closeRetired();
  }

  private async syncOnce(): Promise<void> {
    this.closeRetired();
    const compaction = this.compaction;
    const syncDirectory = this.directoryDirty;
    this.directoryDirty = false;
    await this.fs.fdatasync(this.fd);
    if (compaction) await this.finishCompaction(compaction);
    if (syncDirectory) await this.fs.fsync(this.directoryFd);
  }

  /** Renames the compacted file over the journal once it is on disk; no append can come between the check and the rename. */
  private async finishCompaction(compaction: Compaction): Promise<void> {
    if (compaction.failure === undefined) {
      await this.fs.fdatasync(compaction.fd).catch((error: unknown) => (compaction.failure ??= error));
    }
    if (compaction.failure !== undefined) return this.abandonCompaction(compaction, compaction.failure);
    renameSync(compaction.path, this.path);
    this.retired.push(this.fd);
    this.fd = compaction.fd;
    this.bytes = compaction.bytes;
    this.compaction = undefined;
    this.directoryDirty = true;
    compaction.settle();
  }

  private abandonCompaction(compaction: Compaction, error: unknown): void {
    this.compaction = undefined;
    discard(compaction.fd, compaction.path);
    compaction.settle(error);
  }

  private closeRetired(): void {
    for (const fd of this.retired.splice(0)) closeSync(fd);
  }

  private assertUsable(): void {
    if (this.closed) throw new JournalError(`${this.path}: the journal is closed`);
    if (this.failure) throw this.failure;
  }
}

function writeFully(fs: JournalFileSystem, fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length;) offset += fs.writeSync(fd, data, offset);
}

const compactionPath = (path: string) => `${path}.compact`;

/** Closes and removes an abandoned compaction file; the journal itself is untouched. */
function discard(fd: number, path: string): void {
  closeSync(fd);
  rmSync(path, { force: true });
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
