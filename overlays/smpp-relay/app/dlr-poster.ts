/**
 * Fetches DLR URLs. Each is in the store before the first try and leaves it only once fetched
 * or given up, so a restart tries again what a crash interrupted. Kannel's smsbox fetches a
 * DLR URL once and forgets it on failure; here a network error, a timeout or a 5xx answer is
 * tried again after 1, 2, 4... seconds, up to five minutes apart, ten tries in all. Any other
 * answer ends it: a 4xx will not get better by asking again.
 *
 * What a hostile or broken DLR server can cost is bounded: one deadline for the whole request
 * (connect, headers, body), at most 64 KiB of an answer read and the rest never (the stream is
 * cancelled, which closes the connection), and no post kept past an age, across restarts.
 */
import { limitRepeats, type Log } from '../../runtime/service-log.js';
import { httpUrlProblem, redactUrl } from './http-url.js';
import type { PendingPost } from './store.js';

const MAX_TRIES = 10;
const MAX_DELAY_MS = 5 * 60 * 1000;

/** The most of an answer read (only its status counts; a short body is read so the connection can be reused). */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A post older than this is given up before its next try, whatever the count. The count of
 * tries lives in memory and starts again at each start, so alone it would let a post that a
 * crash interrupts be fetched again at every start for ever (the OOM loop); the post's
 * createdAt is in the store, so the age holds across restarts, with no journal write per try.
 * An hour is four times what ten tries take (about 14 minutes with their deadlines), so age
 * never cuts a run's tries short, and covers a reboot or a DLR server down for a while.
 */
export const MAX_AGE_MS = 60 * 60 * 1000;

export interface DlrPosterOptions {
  /** Called once a post is done with, fetched or given up. */
  done(key: string): void;
  log: Log;
  /** The deadline of one whole request, in ms (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Milliseconds since the epoch (default Date.now): the posts' age. */
  now?: () => number;
}

export interface PosterCounters {
  fetched: number;
  retried: number;
  failed: number;
}

/** Reads and throws away at most `max` octets of a body, then cancels it (closing the connection if more was coming); the octets read. */
export async function discardBody(body: ReadableStream<Uint8Array> | null, max = MAX_ANSWER_BYTES): Promise<number> {
  if (!body) return 0;
  const reader = body.getReader();
  let read = 0;
  try {
    while (read < max) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.byteLength;
    }
  } catch {
    // the deadline, or the server closing mid-body: the status already says what counts
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return read;
}

export class DlrPoster {
  readonly counters: PosterCounters = { fetched: 0, retried: 0, failed: 0 };
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #now: () => number;
  readonly #failures: Log;
  #stopped = false;

  constructor(private readonly options: DlrPosterOptions) {
    this.#now = options.now ?? Date.now;
    // one line per post given up or refused, limited: a dead DLR server fails every post alike
    this.#failures = limitRepeats(options.log, 'DLR URL failures');
  }

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
    const unusable = this.#unusable(post);
    if (unusable) return this.#giveUp(post, unusable);
    const problem = await this.#fetch(post.url);
    if (problem === undefined) {
      // also while stopping: a URL fetched must not be fetched again at the next start
      this.counters.fetched += 1;
      this.options.done(post.key);
    } else if (this.#stopped) {
      return;
    } else if (tries + 1 >= MAX_TRIES) {
      this.#giveUp(post, `after ${MAX_TRIES} tries (${problem})`);
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

  /** Why a post is not worth a try at all: a URL that cannot be fetched, or its age. */
  #unusable(post: PendingPost): string | undefined {
    const problem = httpUrlProblem(post.url);
    if (problem) return `at once: the URL ${problem}`;
    const ageMs = this.#now() - post.createdAt;
    if (ageMs >= MAX_AGE_MS) return `after ${Math.floor(ageMs / 60_000)} minutes of tries (at most ${MAX_AGE_MS / 60_000})`;
    return undefined;
  }

  /** Drops a post from the store, with one warning that names its URL without credentials. */
  #giveUp(post: PendingPost, why: string): void {
    this.counters.failed += 1;
    this.#failures.warn(`DLR URL given up ${why}: ${redactUrl(post.url)}`);
    this.options.done(post.key);
  }

  /** Undefined when the URL answered something final; else why it is worth another try. */
  async #fetch(url: string): Promise<string | undefined> {
    const fetch = this.options.fetch ?? globalThis.fetch;
    try {
      // one signal for the whole request: it also ends a body that trickles in
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
      await discardBody(response.body);
      if (response.status >= 500) return `HTTP ${response.status}`;
      if (response.status >= 400) this.#failures.warn(`DLR URL answered ${response.status}, not trying again: ${redactUrl(url)}`);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
}
