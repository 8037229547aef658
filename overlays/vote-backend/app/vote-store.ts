/**
 * The votes a worker has taken and the database does not have yet, kept in the device
 * runtime's journal (overlays/runtime/journal.ts): a vote is answered 202 only once its line is
 * fsync'd (the journal's group commit shares one fdatasync among every vote that arrived while
 * the last one ran). After a batch is committed to the database a marker line says so
 * (`{t:'c', s}`: every vote up to sequence number s is in), and once the file has grown the
 * journal is rewritten with only the votes still pending: the journal is trimmed only after
 * the commit. Replaying it after a crash gives back the votes after the last marker; a vote
 * the database already has is skipped there by its id (INSERT IGNORE), so a marker lost to a
 * crash costs a re-insert, never a vote counted twice.
 *
 * A full disk or a broken journal, as smpp-relay's store handles them (store-writer.ts there):
 * a vote the journal cannot take is refused with 503 and nothing of it is kept; a marker it
 * cannot take is dropped (the next one, or the rewrite, says as much). A journal broken by a
 * failed write or fsync cannot be trusted (the fsyncgate note in journal.ts): new votes are
 * refused while the pending ones, held in memory, are written to a new file that replaces it,
 * tried again after 1 s, then less and less often up to 30 s. Logged once when it starts and
 * once when it ends.
 */
import { Journal, type JournalFileSystem, type Quarantined } from '../../runtime/journal.js';
import type { Log } from '../../runtime/service-log.js';
import { isVoteId } from './vote-id.js';

/** A vote as taken: the row the database gets. */
export interface Vote {
  /** This journal's sequence number: batches are committed in this order. */
  seq: number;
  id: string;
  poll: string;
  choice: string;
  voter?: string;
  address?: string;
  /** When it was taken (epoch ms). */
  at: number;
}

/** A vote before the store numbers it. */
export type NewVote = Omit<Vote, 'seq'>;

type VoteRecord = { t: 'v'; s: number; id: string; p: string; c: string; v?: string; a?: string; at: number };
type StoreRecord = VoteRecord | { t: 'c'; s: number };

/** The store takes no vote now: the answer is 503 with Retry-After. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface VoteStoreOptions {
  path: string;
  log: Log;
  /** Votes held for the database past which new ones are refused. */
  maxPending: number;
  /** Journal size (bytes) past which it is rewritten with the pending votes alone. */
  compactAtBytes: number;
  /** false only for tests and benchmarks (journal.ts). */
  sync?: boolean;
  fileSystem?: Partial<JournalFileSystem>;
  /** The first wait before a broken journal is rewritten again (ms, default 1000), doubled up to maxRetryMs (default 30000). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** The store's part of /healthz and /metrics. */
export interface StoreHealth {
  state: 'writable' | 'degraded';
  pending: number;
  bytes: number;
  since?: string;
  lastError?: string;
}

interface Entry { vote: Vote; durable: boolean }

const toRecord = (vote: Vote): VoteRecord => ({
  t: 'v', s: vote.seq, id: vote.id, p: vote.poll, c: vote.choice, ...(vote.voter === undefined ? {} : { v: vote.voter }), ...(vote.address === undefined ? {} : { a: vote.address }), at: vote.at,
});

const fromRecord = (record: VoteRecord): Vote => ({
  seq: record.s, id: record.id, poll: record.p, choice: record.c, ...(record.v === undefined ? {} : { voter: record.v }), ...(record.a === undefined ? {} : { address: record.a }), at: record.at,
});

/** Why a line read back is no record of this store (the journal quarantines it). */
export function voteRecordProblem(value: unknown): string | undefined {
  const record = value as Partial<Omit<VoteRecord, 't'>> & { t?: unknown };
  if (typeof value !== 'object' || value === null) return 'not an object';
  if (!Number.isSafeInteger(record.s) || record.s! < 0) return 'no sequence number';
  if (record.t === 'c') return undefined;
  if (record.t !== 'v') return `unknown type ${JSON.stringify(record.t)}`;
  if (!isVoteId(record.id)) return 'no vote id';
  if (typeof record.p !== 'string' || typeof record.c !== 'string') return 'no poll or choice';
  if (!Number.isFinite(record.at)) return 'no time';
  return undefined;
}

export class VoteStore {
  /** Pending votes, oldest first, from #head on: a batch is taken from the front and removed once committed. */
  #queue: Entry[] = [];
  #head = 0;
  #seq: number;
  #committed: number;
  #lineBytes = 200;
  #episode: { since: number; error: string } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #delay: number;
  #compacting: Promise<void> | undefined;
  #closed = false;

  private constructor(private readonly journal: Journal<StoreRecord>, private readonly options: VoteStoreOptions, state: { seq: number; committed: number; pending: Vote[] }) {
    this.#seq = state.seq;
    this.#committed = state.committed;
    this.#queue = state.pending.map((vote) => ({ vote, durable: true }));
    this.#delay = options.retryMs ?? 1000;
  }

  /** Opens the journal and replays it; JournalUnusableError when it cannot be read (journal.ts). */
  static async open(options: VoteStoreOptions): Promise<VoteStore> {
    const { journal, records, repaired, quarantined } = await Journal.open<StoreRecord>({
      path: options.path, sync: options.sync ?? true, check: voteRecordProblem, ...(options.fileSystem ? { fileSystem: options.fileSystem } : {}),
    });
    if (repaired) options.log.warn(`${options.path}: cut off a torn tail of ${repaired.droppedBytes} bytes at line ${repaired.line}, a write that a crash interrupted (that vote was never answered 202)`);
    if (quarantined) logQuarantine(options.log, options.path, quarantined);
    let seq = 0;
    let committed = 0;
    for (const record of records) {
      seq = Math.max(seq, record.s);
      if (record.t === 'c') committed = Math.max(committed, record.s);
    }
    const pending = records.filter((record): record is VoteRecord => record.t === 'v' && record.s > committed).map(fromRecord);
    return new VoteStore(journal, options, { seq, committed, pending });
  }

  /** Votes taken and not yet in the database. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Whether the store holds the most votes it may for the database: new ones are refused. */
  get full(): boolean {
    return this.pending >= this.options.maxPending;
  }

  /** Bytes in the journal now. */
  get bytes(): number {
    return this.journal.size;
  }

  health(): StoreHealth {
    const base = { pending: this.pending, bytes: this.bytes };
    if (!this.#episode) return { state: 'writable', ...base };
    return { state: 'degraded', ...base, since: new Date(this.#episode.since).toISOString(), lastError: this.#episode.error };
  }

  /** Writes a vote and resolves once it is on disk; StoreUnavailableError when it cannot be kept (nothing of it is). */
  async accept(input: NewVote): Promise<Vote> {
    if (this.#closed) throw new StoreUnavailableError('the service is stopping');
    if (this.#episode || this.journal.broken) throw new StoreUnavailableError(this.#unavailable());
    if (this.full) {
      throw new StoreUnavailableError(`${this.pending} votes are waiting for the database, the most this worker process holds: its share of maxPendingVotes`);
    }
    const vote: Vote = { ...input, seq: this.#seq + 1 };
    const before = this.journal.size;
    try {
      this.journal.append(toRecord(vote));
    } catch (error) {
      this.#failed(error);
      throw new StoreUnavailableError(`the vote could not be written: ${describe(error)}`);
    }
    this.#seq = vote.seq;
    this.#lineBytes = this.journal.size - before;
    const entry: Entry = { vote, durable: false };
    this.#queue.push(entry);
    try {
      await this.journal.flush();
    } catch (error) {
      // not answered 202: not sent to the database either, and not in the file that replaces this one
      this.#remove(entry);
      this.#failed(error);
      throw new StoreUnavailableError(`the vote could not be written: ${describe(error)}`);
    }
    entry.durable = true;
    return vote;
  }

  /** The oldest pending votes that are on disk, up to `max`; they stay pending until committed(). */
  peekBatch(max: number): Vote[] {
    const batch: Vote[] = [];
    for (let at = this.#head; at < this.#queue.length && batch.length < max; at++) {
      const entry = this.#queue[at]!;
      if (!entry.durable) break;
      batch.push(entry.vote);
    }
    return batch;
  }

  /** Votes on disk and pending: what a batch can take now. */
  durablePending(limit: number): number {
    return this.peekBatch(limit).length;
  }

  /** The oldest `count` pending votes are in the database: they leave the store. */
  committed(count: number): void {
    if (count <= 0) return;
    const last = this.#queue[this.#head + count - 1]!.vote;
    this.#head += count;
    this.#committed = last.seq;
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#episode || this.#closed) return;
    try {
      this.journal.append({ t: 'c', s: last.seq });
    } catch (error) {
      // a marker is only a shortcut for the replay: without it, those votes are inserted again and skipped
      this.#failed(error);
      return;
    }
    this.#compactIfLarge();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#compacting?.catch(() => undefined);
    if (this.journal.broken) await this.#rewrite().catch(() => undefined);
    if (this.journal.broken) this.options.log.error(`${this.options.path}: stopping with a journal that could not be rewritten: the ${this.pending} pending votes may be missing at the next start`);
    await this.journal.close().catch((error: unknown) => this.options.log.error(`${this.options.path}: ${describe(error)}`));
  }

  /** The records that stand for the present state: the last marker and every pending vote. */
  #liveRecords(): StoreRecord[] {
    const records: StoreRecord[] = [{ t: 'c', s: this.#committed }];
    for (let at = this.#head; at < this.#queue.length; at++) records.push(toRecord(this.#queue[at]!.vote));
    return records;
  }

  /** Rewrites the journal once it is large and mostly committed votes (not twice the pending ones: a backlog would be rewritten after every batch). */
  #compactIfLarge(): void {
    const size = this.journal.size;
    if (this.#compacting || size < this.options.compactAtBytes || size < 2 * this.pending * this.#lineBytes) return;
    this.#compacting = this.journal.compact(this.#liveRecords())
      .catch((error: unknown) => {
        if (this.journal.broken) this.#failed(this.journal.broken);
        else this.options.log.warn(`${this.options.path}: could not rewrite the journal without the committed votes (${describe(error)}); it is tried again after the next batch`);
      })
      .finally(() => (this.#compacting = undefined));
  }

  #remove(entry: Entry): void {
    const at = this.#queue.indexOf(entry, this.#head);
    if (at >= 0) this.#queue.splice(at, 1);
  }

  /** A write failed: out of space changes nothing but this write; a broken journal degrades the store. */
  #failed(error: unknown): void {
    if (!this.journal.broken) {
      this.options.log.warn(`${this.options.path}: ${describe(error)}`);
      return;
    }
    if (this.#episode) {
      this.#episode.error = describe(error);
      return;
    }
    this.#episode = { since: Date.now(), error: describe(error) };
    this.options.log.error(`${this.options.path}: the vote journal cannot write (${describe(error)}): new votes get 503 while the ${this.pending} pending ones, ` +
      `held in memory, are written to a new journal; trying in ${this.#delay / 1000} s, then less and less often`);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#rewrite().catch((error: unknown) => {
        if (this.#episode) this.#episode.error = describe(error);
        this.#schedule();
      });
    }, this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, this.options.maxRetryMs ?? 30_000);
  }

  /** Replaces a broken journal with the pending votes; ends the episode. */
  async #rewrite(): Promise<void> {
    await this.#compacting?.catch(() => undefined);
    await this.journal.compact(this.#liveRecords());
    const episode = this.#episode;
    this.#episode = undefined;
    this.#delay = this.options.retryMs ?? 1000;
    if (episode) this.options.log.info(`${this.options.path}: the vote journal is writable again after ${Math.round((Date.now() - episode.since) / 1000)} s: rewritten from memory with ${this.pending} pending votes`);
  }

  #unavailable(): string {
    return `the vote journal cannot write (${this.#episode?.error ?? 'the journal is broken'}); ${this.pending} votes wait in memory`;
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function logQuarantine(log: Log, path: string, quarantined: Quarantined): void {
  const shown = quarantined.lines.slice(0, 5).map(({ line, reason }) => `line ${line}: ${reason}`).join('; ');
  const what = `${quarantined.lines.length} damaged lines of ${path} (${shown}${quarantined.lines.length > 5 ? '; and more' : ''})`;
  if (quarantined.leftInJournal) log.error(`${what} are skipped but stay in the journal: ${quarantined.leftInJournal}; the next start tries again`);
  else log.warn(`${what} moved to ${quarantined.path}; every other vote is kept`);
}
