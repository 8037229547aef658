/** What the vote service's unit tests share: a config, a fake database, a store in a temp dir. */
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { parseConfig, type VoteConfig } from '../../../../overlays/vote-backend/app/config.js';
import type { DatabaseStatus, VoteDatabase } from '../../../../overlays/vote-backend/app/database.js';
import { VoteStore, type NewVote, type Vote } from '../../../../overlays/vote-backend/app/vote-store.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';

/** 2026-06-01T20:00:00Z: inside the test polls' voting time. */
export const NOW = Date.parse('2026-06-01T20:00:00Z');

/** The config's JSON with two polls: `show` (open from 19:00 to 21:00 that day) and `always` (no times). */
export function configJson(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serverId: 'vote-1',
    journalDir: '/var/lib/vote',
    database: { endpoints: [{ socketPath: '/run/mysqld/mysqld.sock' }], user: 'vote', database: 'votes', passwordFile: '/etc/vote/password' },
    polls: [
      { id: 'show', title: 'Best show', choices: [{ id: 'a', label: 'Alpha' }, { id: 'b', label: 'Beta' }], opensAt: '2026-06-01T19:00:00Z', closesAt: '2026-06-01T21:00:00Z' },
      { id: 'always', title: 'Always open', choices: [{ id: 'x', label: 'Ex' }] },
    ],
    ...change,
  };
}

export const testConfig = (change: Record<string, unknown> = {}): VoteConfig => parseConfig(configJson(change), 'config.json', {});

/** A vote as the HTTP handler makes them. */
export const newVote = (n: number, change: Partial<NewVote> = {}): NewVote => ({ id: n.toString(16).padStart(32, '0'), poll: 'show', choice: 'a', at: NOW + n, ...change });

/**
 * A VoteDatabase in memory: rows by id (INSERT IGNORE), each insert (as it begins) and ping
 * recorded; `failing` makes every call reject, `gate` holds inserts until it resolves.
 */
export class FakeDatabase implements VoteDatabase {
  readonly rows = new Map<string, Vote>();
  readonly inserts: Vote[][] = [];
  pings = 0;
  failing: Error | undefined;
  gate: Promise<void> | undefined;
  #waiters: { done: () => boolean; resolve: () => void }[] = [];

  async insert(votes: readonly Vote[]): Promise<void> {
    this.inserts.push([...votes]);
    this.#wake();
    await this.gate;
    if (this.failing) throw this.failing;
    for (const vote of votes) if (!this.rows.has(vote.id)) this.rows.set(vote.id, vote);
    this.#wake();
  }

  async counts(poll: string): Promise<Map<string, number>> {
    if (this.failing) throw this.failing;
    const counts = new Map<string, number>();
    for (const vote of this.rows.values()) if (vote.poll === poll) counts.set(vote.choice, (counts.get(vote.choice) ?? 0) + 1);
    return counts;
  }

  async ping(): Promise<void> {
    this.pings++;
    this.#wake();
    if (this.failing) throw this.failing;
  }

  status(): DatabaseStatus {
    return this.failing ? { connected: false, lastError: this.failing.message } : { connected: true, endpoint: 'fake' };
  }

  async close(): Promise<void> {}

  /** Resolves once `count` inserts and pings in all have begun. */
  calls(count: number): Promise<void> {
    return this.until(() => this.inserts.length + this.pings >= count, `${count} calls`);
  }

  /** Resolves once `done()` holds after a call; a generous deadline fails the test instead of hanging it. */
  until(done: () => boolean, what = 'the condition'): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} after 30 s: ${this.inserts.length} inserts, ${this.pings} pings, ${this.rows.size} rows`)), 30_000);
      this.#waiters.push({ done, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((waiter) => (waiter.done() ? (waiter.resolve(), false) : true));
  }
}

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A store in a fresh temp dir (no fsync: these tests are not about the disk), closed after the test. */
export async function openTestStore(t: ExecutionContext, options: { maxPending?: number; path?: string } = {}): Promise<{ store: VoteStore; path: string; log: ReturnType<typeof createMemoryLog> }> {
  const path = options.path ?? join(await makeTempDir(t, 'vote-store-'), 'votes-0.journal');
  const log = createMemoryLog();
  const store = await VoteStore.open({ path, log, maxPending: options.maxPending ?? 1000, compactAtBytes: 1 << 30, sync: false });
  t.teardown(() => store.close());
  return { store, path, log };
}
