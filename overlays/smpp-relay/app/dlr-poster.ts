/**
 * Fetches DLR URLs. Each is in the store before the first try and leaves it only once fetched
 * or given up, so a restart tries again what a crash interrupted. Kannel's smsbox fetches a
 * DLR URL once and forgets it on failure; here a network error, a timeout or a 5xx answer is
 * tried again after 1, 2, 4... seconds, up to five minutes apart, ten tries in all. Any other
 * answer ends it: a 4xx will not get better by asking again.
 */
import type { Log } from '../../service-log.js';
import type { PendingPost } from './store.js';

const MAX_TRIES = 10;
const MAX_DELAY_MS = 5 * 60 * 1000;

export interface DlrPosterOptions {
  /** Called once a post is done with, fetched or given up. */
  done(key: string): void;
  log: Log;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export interface PosterCounters {
  fetched: number;
  retried: number;
  failed: number;
}

export class DlrPoster {
  readonly counters: PosterCounters = { fetched: 0, retried: 0, failed: 0 };
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(private readonly options: DlrPosterOptions) {}

  /** Posts pending: waiting for a retry, or being fetched. */
  get pending(): number {
    return this.#timers.size + this.#inFlight.size;
  }

  /** Starts fetching one URL. */
  post(post: PendingPost, tries = 0): void {
    if (this.#stopped) return;
    const attempt = this.#attempt(post, tries).finally(() => this.#inFlight.delete(attempt));
    this.#inFlight.add(attempt);
  }

  /** Stops retrying; what is still pending stays in the store for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #attempt(post: PendingPost, tries: number): Promise<void> {
    const problem = await this.#fetch(post.url);
    if (problem === undefined) {
      // also while stopping: a URL fetched must not be fetched again at the next start
      this.counters.fetched += 1;
      this.options.done(post.key);
    } else if (this.#stopped) {
      return;
    } else if (tries + 1 >= MAX_TRIES) {
      this.counters.failed += 1;
      this.options.log.warn(`DLR URL given up after ${MAX_TRIES} tries (${problem}): ${post.url}`);
      this.options.done(post.key);
    } else {
      this.counters.retried += 1;
      const delay = Math.min(1000 * 2 ** tries, MAX_DELAY_MS);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.post(post, tries + 1);
      }, delay);
      this.#timers.add(timer);
    }
  }

  /** Undefined when the URL answered something final; else why it is worth another try. */
  async #fetch(url: string): Promise<string | undefined> {
    const fetch = this.options.fetch ?? globalThis.fetch;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 500) return `HTTP ${response.status}`;
      if (response.status >= 400) this.options.log.warn(`DLR URL answered ${response.status}, not trying again: ${url}`);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
}
