/**
 * Moves votes from the journal to the database in batches, one at a time, oldest first: when
 * `maxVotes` are waiting, or `intervalMs` after the last batch began, whichever comes first (the
 * original servers' "once a second, or earlier if 10,000 votes had been received": a batch that
 * takes 400 ms does not stretch the second to 1.4 s). A backlog
 * (the database was away) goes in batch after batch without waiting. A batch that fails stays
 * pending and is tried again, whole, after a wait that doubles from `intervalMs` up to
 * `maxRetryMs`: the database coming back is noticed within that. With no votes to send, a
 * tick pings the database instead: the first one, at start, connects and so creates or
 * migrates the schema before the first vote, and /healthz tells a database that went away
 * before a vote finds out.
 */
import type { Log } from '../../runtime/service-log.js';
import { limitRepeats } from '../../runtime/service-log.js';
import { describeSqlError, type VoteDatabase } from './database.js';
import type { Metrics } from './metrics.js';
import type { VoteStore } from './vote-store.js';

export interface BatcherOptions {
  store: VoteStore;
  database: VoteDatabase;
  log: Log;
  metrics: Metrics;
  intervalMs: number;
  maxVotes: number;
  /** Longest wait between tries while the database fails (default 10 s). */
  maxRetryMs?: number;
  /** A monotonic clock in ms (default performance.now; tests). */
  now?: () => number;
}

export class Batcher {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #retryMs: number;
  #failingSince: number | undefined;
  #stopped = false;
  readonly #failures: Log;

  constructor(private readonly options: BatcherOptions) {
    this.#retryMs = options.intervalMs;
    this.#failures = limitRepeats(options.log, 'database batch failed');
  }

  /** Starts at once: connects (the schema), and sends the votes a journal replayed. */
  start(): void {
    this.#schedule(0);
  }

  /** A vote was taken: a full batch goes now rather than at the next tick. */
  nudge(): void {
    if (this.#failingSince === undefined && !this.#running && this.options.store.pending >= this.options.maxVotes) this.#schedule(0);
  }

  /** Runs one batch now (tests, and the last one before stopping); resolves when it is settled. */
  async flushOnce(): Promise<boolean> {
    // a loop: two callers waiting for the same batch must not both start the next one (they would send the same votes and mark twice as many committed)
    while (this.#running) await this.#running;
    let committed = false;
    this.#running = this.#commitBatch().then((ok) => { committed = ok; }).finally(() => (this.#running = undefined));
    await this.#running;
    return committed;
  }

  /** Stops the timer and waits for the batch in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), delay);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (this.#running) return;
    const started = this.#now();
    const ok = await this.flushOnce();
    if (!ok) return this.#schedule(this.#retryMs);
    const backlog = this.options.store.pending >= this.options.maxVotes;
    this.#schedule(backlog ? 0 : Math.max(0, this.options.intervalMs - (this.#now() - started)));
  }

  /** Sends the oldest pending votes; true when they are in (or there were none and the database answers). */
  async #commitBatch(): Promise<boolean> {
    const { store, database, metrics } = this.options;
    const batch = store.peekBatch(this.options.maxVotes);
    if (batch.length === 0) return this.#ping();
    const started = this.#now();
    try {
      await database.insert(batch);
    } catch (error) {
      metrics.databaseError(error);
      this.#failed(error, batch.length);
      return false;
    }
    store.committed(batch.length);
    metrics.batchCommitted(batch.length, (this.#now() - started) / 1000);
    this.#recovered();
    return true;
  }

  async #ping(): Promise<boolean> {
    try {
      await this.options.database.ping();
    } catch (error) {
      this.options.metrics.databaseError(error);
      this.#failed(error, 0);
      return false;
    }
    this.#recovered();
    return true;
  }

  #now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  #failed(error: unknown, size: number): void {
    this.#failingSince ??= Date.now();
    this.#retryMs = Math.min(this.#retryMs * 2, this.options.maxRetryMs ?? 10_000);
    const what = size === 0 ? 'the database does not answer' : `a batch of ${size} votes did not reach the database`;
    this.#failures.warn(`${what} (${describeSqlError(error)}); ${this.options.store.pending} votes wait in the journal, trying again in ${this.#retryMs / 1000} s`);
  }

  #recovered(): void {
    if (this.#failingSince === undefined) return;
    const seconds = Math.round((Date.now() - this.#failingSince) / 1000);
    this.#failingSince = undefined;
    this.#retryMs = this.options.intervalMs;
    this.options.log.info(`the database takes votes again after ${seconds} s; ${this.options.store.pending} votes still to send`);
  }
}
