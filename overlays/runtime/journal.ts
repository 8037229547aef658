/**
 * An append-only journal of JSON records, one a line; the line format (a CRC32 before each
 * record) and how a file is read back are in journal-format.ts.
 *
 * Durability: append() is a write(2) that has returned, so a kill -9 cannot lose it;
 * appendDurable() also waits for fdatasync(2). Every caller that arrives while an fsync runs
 * shares the next one (group commit). A failed fsync breaks the journal, because a retried
 * fsync can succeed after the kernel dropped the dirty pages ("fsyncgate":
 * https://lwn.net/Articles/752063/, PostgreSQL now panics there too); the file can then no
 * longer be trusted, and the only way on is compact(): the whole state, which the caller holds
 * in memory, written to a new file that is renamed over the old one.
 *
 * Opening reads every record that can be read: a torn tail is cut off, damaged lines are moved
 * to a quarantine file (journal-quarantine.ts) and the journal is rewritten without them.
 */
import { constants, ftruncate, ftruncateSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { closeQuietly, compactionPath, describeError as describe, JournalUnusableError, openDirectory, openJournalFile, unusableOr } from './journal-file.js';
import { isSpaceError, nodeFileSystem, writeFully, type JournalFileSystem } from './journal-file-system.js';
import { encodeLine, JournalError, parseJournal, type DamagedLine, type ParsedJournal, type RecordCheck } from './journal-format.js';
import { quarantinePath, writeQuarantine } from './journal-quarantine.js';

export { JournalError, type RecordCheck } from './journal-format.js';
export { nodeFileSystem, type JournalFileSystem } from './journal-file-system.js';
export { JournalUnusableError } from './journal-file.js';

/** How to open a journal. */
export interface JournalOptions {
  /** The file. Its directory (mode 0700) and the file (mode 0600) are created when missing. */
  path: string;
  /** Wait for fdatasync before durable promises resolve (default true); false only for tests and benchmarks. */
  sync?: boolean;
  /** Replaces some of the file system calls (tests). */
  fileSystem?: Partial<JournalFileSystem>;
  /** Checks each record read back: one it refuses is quarantined like a line with a bad checksum. */
  check?: RecordCheck;
}

/** Damaged lines found on open, and where they went. */
export interface Quarantined {
  /** The quarantine file. */
  path: string;
  lines: { line: number; reason: string }[];
  /**
   * Set when the lines are still in the journal (and so in the quarantine file again at the
   * next open), and why: no space to write the quarantine file, or the journal without them.
   */
  leftInJournal?: string;
}

/** An open journal and what it held. */
export interface OpenedJournal<R> {
  journal: Journal<R>;
  /** Every record that could be read, oldest first. */
  records: R[];
  /** Present when a torn tail was cut off: its size, and its line number. */
  repaired?: { droppedBytes: number; line: number };
  quarantined?: Quarantined;
}

interface Waiter { resolve: () => void; reject: (error: unknown) => void }

/**
 * A compaction between writing its file and renaming it over the journal. A recovery replaces
 * a journal broken by a failed fsync: nothing is appended meanwhile, and the old file is not
 * synced (it cannot be trusted either way).
 */
interface Compaction { fd: number; path: string; bytes: number; recovery: boolean; failure?: unknown; settle: (error?: unknown) => void }

const truncateAsync = promisify(ftruncate);

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

  /**
   * Opens the journal and reads every record that can be read: a torn tail is cut off, damaged
   * lines are quarantined and the journal rewritten without them. Throws JournalUnusableError
   * when the file cannot be read or the damaged lines cannot be set aside.
   */
  static async open<R>(options: JournalOptions): Promise<OpenedJournal<R>> {
    const { path } = options;
    const fs: JournalFileSystem = { ...nodeFileSystem, ...options.fileSystem };
    if (options.sync === false) Object.assign(fs, { fdatasync: async () => undefined, fsync: async () => undefined });
    const { fd, content } = await openJournalFile(path);
    let directoryFd: number | undefined;
    let parsed: ParsedJournal<R>;
    try {
      parsed = parseJournal<R>(content, options.check);
      if (parsed.validBytes < content.length) {
        await truncateAsync(fd, parsed.validBytes);
        await fs.fdatasync(fd);
      }
      directoryFd = await openDirectory(path);
      await fs.fsync(directoryFd); // the file may just have been created
    } catch (error) {
      closeQuietly(fd);
      if (directoryFd !== undefined) closeQuietly(directoryFd);
      throw unusableOr(path, error);
    }
    const journal = new Journal<R>(path, fd, directoryFd, fs, parsed.validBytes);
    const { records, damaged } = parsed;
    let quarantined: Quarantined | undefined;
    try {
      if (damaged.length > 0) quarantined = await journal.setAside(damaged, records);
      if (journal.failure) throw journal.failure;
    } catch (error) {
      await journal.close().catch(() => undefined);
      throw error;
    }
    const dropped = content.length - parsed.validBytes;
    const repaired = dropped > 0 ? { droppedBytes: dropped, line: records.length + damaged.length + 1 } : undefined;
    return { journal, records, ...(repaired ? { repaired } : {}), ...(quarantined ? { quarantined } : {}) };
  }

  /** Set while a failed fsync or write has broken the journal: appends fail until a compact() replaces the file. */
  get broken(): JournalError | undefined {
    return this.failure;
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
   *
   * On a broken journal this is the way back: the new file, synced on its own (the old one
   * cannot be trusted after a failed fsync, whatever a retried fsync says), replaces the old
   * one, and appends work again. It is the caller's to pass the whole state: what the old file
   * held is gone from the name.
   */
  async compact(records: readonly R[]): Promise<void> {
    if (this.closed) throw new JournalError(`${this.path}: the journal is closed`);
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
      for (const fd of [this.fd, this.directoryFd, ...this.retired.splice(0)]) closeQuietly(fd);
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
    const recovery = this.failure !== undefined;
    const renamed = new Promise<void>((resolve, reject) => {
      this.compaction = { fd, path, bytes: data.length, recovery, settle: (error) => (error === undefined ? resolve() : reject(error)) };
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

  /**
   * Cuts a partly written line off so the file stays a sequence of whole lines. Out of space
   * (or quota), the journal stays usable: a later append may succeed once space is freed.
   */
  private rollBack(error: unknown): void {
    try {
      ftruncateSync(this.fd, this.bytes);
      if (isSpaceError(error)) return;
    } catch {
      // the torn line stays in the middle of the file: nothing may follow it
    }
    this.failure = new JournalError(`${this.path}: a write failed (${describe(error)}); no more appends until the journal is rewritten`, { cause: error });
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
    while (this.waiters.length > 0 && (!this.failure || this.compaction?.recovery)) {
      const batch = this.waiters.splice(0);
      const upTo = this.appended;
      try {
        await this.syncOnce();
      } catch (error) {
        this.failure = new JournalError(`${this.path}: fsync failed (${describe(error)}); what was written since the last good fsync may not be on disk: no more appends until the journal is rewritten`, { cause: error });
        batch.forEach((waiter) => waiter.reject(this.failure));
        if (this.compaction) this.abandonCompaction(this.compaction, this.failure);
        break;
      }
      this.synced = upTo;
      batch.forEach((waiter) => waiter.resolve());
    }
    if (this.failure) {
      // broken by a failed write while a compaction waited for its fsync: that file is no good either
      if (this.compaction && !this.compaction.recovery) this.abandonCompaction(this.compaction, this.failure);
      this.waiters.splice(0).forEach((waiter) => waiter.reject(this.failure));
    }
    this.syncRunning = false;
    this.closeRetired();
  }

  private async syncOnce(): Promise<void> {
    this.closeRetired();
    const compaction = this.compaction;
    const syncDirectory = this.directoryDirty;
    this.directoryDirty = false;
    if (!compaction?.recovery) await this.fs.fdatasync(this.fd);
    if (compaction) await this.finishCompaction(compaction);
    if (syncDirectory) await this.fs.fsync(this.directoryFd);
  }

  /** Renames the compacted file over the journal once it is on disk; no append can come between the check and the rename. */
  private async finishCompaction(compaction: Compaction): Promise<void> {
    if (compaction.failure === undefined) {
      await this.fs.fdatasync(compaction.fd).catch((error: unknown) => (compaction.failure ??= error));
    }
    if (compaction.failure !== undefined) return this.abandonCompaction(compaction, compaction.failure);
    try {
      renameSync(compaction.path, this.path);
    } catch (error) {
      // the journal is still whole under its name: only the compaction failed
      return this.abandonCompaction(compaction, new JournalError(`${compaction.path}: could not rename it over the journal: ${describe(error)}`, { cause: error }));
    }
    this.retired.push(this.fd);
    this.fd = compaction.fd;
    this.bytes = compaction.bytes;
    this.compaction = undefined;
    this.directoryDirty = true;
    if (compaction.recovery) this.failure = undefined;
    compaction.settle();
  }

  private abandonCompaction(compaction: Compaction, error: unknown): void {
    this.compaction = undefined;
    discard(compaction.fd, compaction.path);
    compaction.settle(error);
  }

  private closeRetired(): void {
    for (const fd of this.retired.splice(0)) closeQuietly(fd);
  }

  /**
   * Moves damaged lines to the quarantine file, then rewrites the journal with the records that
   * were read, so the next open does not find them again. With no space for either, the lines
   * stay in the journal (nothing is lost; the next open tries again); any other failure to write
   * the quarantine file leaves nowhere to put them, and the journal cannot be used.
   */
  private async setAside(damaged: readonly DamagedLine[], records: readonly R[]): Promise<Quarantined> {
    const lines = damaged.map(({ line, reason }) => ({ line, reason }));
    const path = quarantinePath(this.path);
    try {
      await writeQuarantine({ journalPath: this.path, damaged, fs: this.fs, directoryFd: this.directoryFd });
    } catch (error) {
      if (isSpaceError(error)) return { path, lines, leftInJournal: `${path} could not be written: ${describe(error)}` };
      throw new JournalUnusableError(`${path}: cannot write the quarantine file (${describe(error)}), so ${damaged.length} damaged lines of ${this.path} ` +
        `cannot be set aside; make ${dirname(path)} writable for the service (or move ${path} aside if it is not a file), then start the service again`, { cause: error });
    }
    try {
      await this.compact(records);
    } catch (error) {
      if (this.failure) throw this.failure;
      return { path, lines, leftInJournal: `the journal could not be rewritten without them: ${describe(error)}` };
    }
    return { path, lines };
  }

  private assertUsable(): void {
    if (this.closed) throw new JournalError(`${this.path}: the journal is closed`);
    if (this.failure) throw this.failure;
  }
}

/** Closes and removes an abandoned compaction file; the journal itself is untouched. */
function discard(fd: number, path: string): void {
  closeQuietly(fd);
  // a file left behind is removed by the next open
  try {
    rmSync(path, { force: true });
  } catch {
    // as above
  }
}

