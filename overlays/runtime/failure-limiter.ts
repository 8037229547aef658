/**
 * Failed logins per client address in a sliding window: after `maxFailures` within `windowMs`
 * the address is refused until the oldest of them leaves the window. The clock is injected so
 * tests need not wait.
 */

export interface FailureLimiterOptions {
  /** Failures allowed within the window; the next attempt is refused. */
  maxFailures: number;
  windowMs: number;
  /** Milliseconds since some epoch; Date.now by default. */
  now?: () => number;
  /** Addresses remembered at most; the one seen longest ago is forgotten first. */
  maxClients?: number;
}

export class FailureLimiter {
  readonly #options: Required<FailureLimiterOptions>;
  /** Failure times per address; Map keeps insertion order, so the first key is the stalest. */
  readonly #failures = new Map<string, number[]>();

  constructor(options: FailureLimiterOptions) {
    this.#options = { now: Date.now, maxClients: 10_000, ...options };
  }

  /** Seconds until `client` may try again; 0 when it may now. */
  retryAfter(client: string): number {
    const recent = this.#recent(client);
    if (recent.length < this.#options.maxFailures) return 0;
    const freeAt = recent[recent.length - this.#options.maxFailures]! + this.#options.windowMs;
    return Math.max(1, Math.ceil((freeAt - this.#options.now()) / 1000));
  }

  /** Counts a failed attempt. */
  fail(client: string): void {
    const recent = [...this.#recent(client), this.#options.now()].slice(-this.#options.maxFailures);
    this.#failures.delete(client);
    this.#failures.set(client, recent);
    if (this.#failures.size > this.#options.maxClients) this.#failures.delete(this.#failures.keys().next().value!);
  }

  /** Forgets the failures of a client that has logged in. */
  succeed(client: string): void {
    this.#failures.delete(client);
  }

  /** The client's failures still within the window. */
  #recent(client: string): number[] {
    const since = this.#options.now() - this.#options.windowMs;
    const recent = (this.#failures.get(client) ?? []).filter((time) => time > since);
    if (recent.length === 0) this.#failures.delete(client);
    return recent;
  }
}
