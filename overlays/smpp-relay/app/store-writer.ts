/**
 * How the store's records reach the journal without ever throwing into the code that reports
 * what happened (a submit_sm_resp, a receipt, a DLR URL fetched): a throw there used to end the
 * process, and every restart sent the unacknowledged window again (issue 13).
 *
 * A record the journal cannot take (no space, no quota, or a journal broken by a failed write
 * or fsync) is kept in memory, in order, and every later record queues behind it, so the file
 * stays a sequence that replays to the same state. The change itself is already made in
 * memory: the relay goes on sending what it has and matching receipts. While records wait or
 * the journal is broken, the store is degraded: new messages are refused (sendsms answers 503,
 * as Kannel answers a message it cannot queue), and /status says so. It is logged once when it
 * starts and once when it ends.
 *
 * The way back depends on why:
 * - out of space: the waiting records are appended again, in order, on every new write and by
 *   a timer (1 s, doubling to 30 s); the first that succeeds may empty the backlog;
 * - a broken journal: its file cannot be trusted (see the fsyncgate note in journal.ts), so it
 *   is replaced by the whole live state, written through the journal's compaction (the same
 *   new-file, fsync and rename that keeps a grown journal small), by the timer only, as it
 *   writes the whole state each time. The backlog then holds nothing the new file lacks.
 */
import type { Log } from '../../runtime/service-log.js';
import type { Journal } from '../../runtime/journal.js';

/** The store's side of /status. */
export interface StoreHealth {
  state: 'writable' | 'degraded';
  /** Records applied in memory and not yet in the journal. */
  backlog: number;
  /** While degraded: since when (ISO 8601), and the last error. */
  since?: string;
  lastError?: string;
}

/** The store takes no new message now; sendsms answers 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface StoreWriterOptions<R> {
  journal: Journal<R>;
  path: string;
  /** The whole state as records: what a broken journal is replaced with. */
  liveRecords(): R[];
  log: Log;
  now?: () => number;
  /** The first wait before trying again (ms, default 1000), doubled after each try up to maxRetryMs (default 30000). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** A time the store could not write, from the first failure to the write that worked again. */
interface Episode {
  since: number;
  error: string;
  /** Records from the backlog written so far. */
  written: number;
}

export class StoreWriter<R> {
  readonly #journal: Journal<R>;
  #backlog: R[] = [];
  #episode: Episode | undefined;
  #timer: NodeJS.Timeout | undefined;
  #delay: number;
  /** A compaction running, and how many records at the front of the backlog its snapshot holds. */
  #compaction: { covered: number; done: Promise<number> } | undefined;
  #closing = false;
  #closed = false;

  constructor(private readonly options: StoreWriterOptions<R>) {
    this.#journal = options.journal;
    this.#delay = options.retryMs ?? 1000;
  }

  /** Writes a record whose change is already made in memory. Never throws. */
  write(record: R): void {
    // an outcome that comes after the close (a link settling while it stops): the next start
    // finds the part unanswered and sends it again, which at-least-once allows
    if (this.#closed) return;
    this.#backlog.push(record);
    this.#drain();
  }

  /**
   * Writes a record before its change is made (an accepted message): throws, and the change
   * must not be made, when the store is degraded (StoreUnavailableError) or the write fails.
   */
  append(record: R): void {
    if (this.#episode) this.#drain();
    if (this.#closed || this.#backlog.length > 0 || this.#journal.broken) throw new StoreUnavailableError(this.#unavailable());
    try {
      this.#journal.append(record);
    } catch (error) {
      this.#degrade(error);
      throw error;
    }
    this.#recovered('a new message was written');
  }

  /** Resolves once everything written so far is on disk; a failed fsync rejects (and degrades the store). */
  async sync(): Promise<void> {
    try {
      await this.#journal.flush();
    } catch (error) {
      this.#degrade(error);
      throw error;
    }
  }

  /** Replaces the journal with the live state; false (and nothing done) while degraded, since the recovery does that. */
  async compact(): Promise<boolean> {
    if (this.#episode || this.#compaction || this.#closing) return false;
    try {
      await this.#compact();
    } catch (error) {
      if (this.#journal.broken) this.#degrade(this.#journal.broken);
      throw error;
    }
    this.#drain();
    return true;
  }

  health(): StoreHealth {
    const episode = this.#episode;
    if (!episode) return { state: 'writable', backlog: this.#backlog.length };
    return { state: 'degraded', backlog: this.#backlog.length, since: new Date(episode.since).toISOString(), lastError: episode.error };
  }

  /** A last try to write what waits, then the journal's close (which rejects when the journal is broken). */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#compaction?.done.catch(() => undefined);
    if (this.#journal.broken) await this.#rewrite();
    this.#drain();
    this.#closed = true;
    if (this.#backlog.length > 0 || this.#journal.broken) {
      this.options.log.error(`${this.options.path}: stopping with ${this.#backlog.length} records not written (${this.#episode?.error}): ` +
        'after the next start, parts they acknowledged are sent again and receipts they matched are awaited again');
    }
    await this.#journal.close();
  }

  /** Appends the backlog in order, as far as the journal takes it. */
  #drain(): void {
    // the running compaction's snapshot holds the front of the backlog: appended now, it would be in the new file twice
    if ((this.#compaction?.covered ?? 0) > 0 || this.#backlog.length === 0) return;
    if (this.#journal.broken) return this.#degrade(this.#journal.broken);
    let written = 0;
    try {
      for (const record of this.#backlog) {
        this.#journal.append(record);
        written++;
      }
    } catch (error) {
      this.#degrade(error);
    }
    this.#backlog.splice(0, written);
    if (this.#episode) this.#episode.written += written;
    if (written > 0) this.#recovered(`the ${this.#episode?.written} records held in memory are written`);
  }

  /** Replaces a broken journal with the live state. */
  async #rewrite(): Promise<void> {
    if (this.#compaction) return;
    try {
      const written = await this.#compact();
      this.#drain();
      this.#recovered(`the journal was rewritten from memory (${written} records)`);
    } catch (error) {
      this.#degrade(error);
    }
  }

  async #compact(): Promise<number> {
    const covered = this.#backlog.length;
    const records = this.options.liveRecords();
    const done = this.#journal.compact(records).then(() => {
      this.#backlog.splice(0, covered);
      return records.length;
    });
    this.#compaction = { covered, done };
    try {
      return await done;
    } finally {
      this.#compaction = undefined;
    }
  }

  #degrade(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#episode) {
      this.#episode.error = message;
    } else {
      this.#episode = { since: this.#now(), error: message, written: 0 };
      const how = this.#journal.broken ? 'the journal is rewritten from memory' : 'the records are written';
      this.options.log.error(`${this.options.path}: the message store cannot write (${message}): new messages are refused with 503 ` +
        `and what happens to those already accepted is held in memory, in order, until ${how}; trying again in ${this.#delay / 1000} s, then less and less often`);
    }
    this.#schedule();
  }

  /** Ends the episode, if one is on and nothing is left to write. */
  #recovered(what: string): void {
    const episode = this.#episode;
    if (!episode || this.#backlog.length > 0 || this.#journal.broken) return;
    this.#episode = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#delay = this.options.retryMs ?? 1000;
    const seconds = Math.round((this.#now() - episode.since) / 1000);
    this.options.log.info(`${this.options.path}: the message store is writable again after ${seconds} s: ${what}`);
  }

  /** The timer's next try; with nothing waiting (an accepted message that did not fit), the next accept is the try. */
  #schedule(): void {
    if (this.#timer || this.#closing || !this.#episode) return;
    if (this.#backlog.length === 0 && !this.#journal.broken) return;
    this.#timer = setTimeout(() => this.#retry(), this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, this.options.maxRetryMs ?? 30_000);
  }

  #retry(): void {
    this.#timer = undefined;
    if (this.#journal.broken) {
      void this.#rewrite().then(() => this.#schedule());
    } else {
      this.#drain();
      this.#schedule();
    }
  }

  #unavailable(): string {
    if (this.#closed) return `${this.options.path}: the message store is closed`;
    return `${this.options.path}: the message store cannot write (${this.#episode?.error ?? 'the journal is broken'}); ${this.#backlog.length} records wait in memory`;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}
