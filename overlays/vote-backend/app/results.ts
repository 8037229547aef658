/**
 * A poll's counts as the database has them, read at most once a second per poll and worker
 * however many pages ask (one query in flight per poll; those who ask meanwhile share it), so
 * a results page refreshed by a million phones costs the database one GROUP BY a second. The
 * answer says when it was read (`asOf`): never more than `maxAgeMs` before it is sent. Votes
 * still in a worker's journal show up with the batch that carries them (within the batch
 * interval).
 */
import type { Poll } from './config.js';
import type { VoteDatabase } from './database.js';

export interface PollResults {
  poll: string;
  title: string;
  /** Every choice of the poll, with its votes (0 for none). */
  counts: { choice: string; label: string; votes: number }[];
  total: number;
  /** When the database was read (ISO 8601). */
  asOf: string;
}

interface Cached { at: number; results: PollResults }

export class ResultsCache {
  readonly #cache = new Map<string, Cached>();
  readonly #inFlight = new Map<string, Promise<PollResults>>();

  constructor(private readonly database: VoteDatabase, private readonly options: { maxAgeMs: number; now?: () => number }) {}

  /** The poll's results, read again when the last read is older than maxAgeMs; rejects when the database cannot be read. */
  async get(poll: Poll): Promise<PollResults> {
    const now = this.#now();
    const cached = this.#cache.get(poll.id);
    if (cached && now - cached.at < this.options.maxAgeMs) return cached.results;
    let read = this.#inFlight.get(poll.id);
    if (!read) {
      read = this.#read(poll).finally(() => this.#inFlight.delete(poll.id));
      this.#inFlight.set(poll.id, read);
    }
    return read;
  }

  async #read(poll: Poll): Promise<PollResults> {
    const at = this.#now();
    const counts = await this.database.counts(poll.id);
    const rows = poll.choices.map((choice) => ({ choice: choice.id, label: choice.label, votes: counts.get(choice.id) ?? 0 }));
    const results = { poll: poll.id, title: poll.title, counts: rows, total: rows.reduce((sum, row) => sum + row.votes, 0), asOf: new Date(at).toISOString() };
    this.#cache.set(poll.id, { at, results });
    return results;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}
