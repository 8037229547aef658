/**
 * Which votes a server takes before it writes them: at most `max` per voter (per poll) and per
 * client address in each window, and an Idempotency-Key reused for another vote refused
 * (draft-ietf-httpapi-idempotency-key-header-07, section 2.7: 422). A retry with the same key
 * and the same vote is taken again without counting against the limits: it has the same id,
 * so the database keeps one row.
 *
 * Windows slide: the count a vote is checked against is that of the window under way plus the
 * last window's, weighted by how much of the last window still lies within one window length
 * of now (the sliding window counter of Cloudflare's "How we built rate limiting capable of
 * scaling to millions of domains", 2017). Fixed windows alone let a client cast twice `max`
 * within a few seconds across a window's end; this way about `max` a window is what any window
 * length sees. Memory stays bounded by the keys of two windows, each check two map look-ups.
 *
 * In a cluster the primary process holds the one Admission, so that the limits hold for the
 * server whichever worker a request reaches (cluster-channel.ts).
 */
import type { WindowLimit } from './config.js';

/** What is checked of one vote. */
export interface AdmissionRequest {
  /** The client's address. */
  address: string;
  /** `poll\0voter` when the vote names a voter. */
  voter?: string;
  /** `poll\0key` when the vote has an Idempotency-Key. */
  key?: string;
  /** poll, choice and voter: what a retry with the same key must match. */
  fingerprint: string;
}

export type Verdict =
  | { ok: true; duplicate: boolean }
  | { ok: false; reason: 'voter_limit' | 'address_limit' | 'key_conflict'; retryAfterSeconds?: number };

export interface AdmissionLimits {
  perVoter: WindowLimit | null;
  perAddress: WindowLimit | null;
  idempotencyWindowSeconds: number;
}

/** Counts per key over a sliding window (see above). */
class SlidingCounter {
  #window = -1;
  #current = new Map<string, number>();
  #previous = new Map<string, number>();

  constructor(private readonly limit: WindowLimit) {}

  /** Whole seconds until `key` may vote again, if it votes no more meanwhile. */
  retryAfter(key: string, now: number): number {
    this.#roll(now);
    const length = this.limit.windowSeconds * 1000;
    const into = now % length;
    const current = this.#current.get(key) ?? 0;
    const previous = this.#previous.get(key) ?? 0;
    // below max now: until the last window has faded enough; at max: into the next window, until this one has
    const wait = current < this.limit.max
      ? length * (1 - (this.limit.max - current) / previous) - into
      : length - into + length * (1 - this.limit.max / current);
    return Math.max(1, Math.floor(wait / 1000) + 1);
  }

  full(key: string, now: number): boolean {
    this.#roll(now);
    const length = this.limit.windowSeconds * 1000;
    const weight = 1 - (now % length) / length;
    return (this.#current.get(key) ?? 0) + (this.#previous.get(key) ?? 0) * weight >= this.limit.max;
  }

  add(key: string, delta: number): void {
    const count = (this.#current.get(key) ?? 0) + delta;
    if (count > 0) this.#current.set(key, count);
    else this.#current.delete(key);
  }

  #roll(now: number): void {
    const window = Math.floor(now / (this.limit.windowSeconds * 1000));
    if (window === this.#window) return;
    this.#previous = window === this.#window + 1 ? this.#current : new Map();
    this.#current = new Map();
    this.#window = window;
  }
}

/** Keys seen in this window and the last: a key is remembered for one to two windows. */
class KeyMemory {
  #window = -1;
  #current = new Map<string, string>();
  #previous = new Map<string, string>();

  constructor(private readonly windowMs: number) {}

  get(key: string, now: number): string | undefined {
    this.#roll(now);
    return this.#current.get(key) ?? this.#previous.get(key);
  }

  set(key: string, fingerprint: string): void {
    this.#current.set(key, fingerprint);
  }

  #roll(now: number): void {
    const window = Math.floor(now / this.windowMs);
    if (window === this.#window) return;
    this.#previous = window === this.#window + 1 ? this.#current : new Map();
    this.#current = new Map();
    this.#window = window;
  }
}

export class Admission {
  readonly #voters: SlidingCounter | undefined;
  readonly #addresses: SlidingCounter | undefined;
  readonly #keys: KeyMemory;

  constructor(limits: AdmissionLimits) {
    this.#voters = limits.perVoter ? new SlidingCounter(limits.perVoter) : undefined;
    this.#addresses = limits.perAddress ? new SlidingCounter(limits.perAddress) : undefined;
    this.#keys = new KeyMemory(limits.idempotencyWindowSeconds * 1000);
  }

  /** Whether anything here needs checking for this vote (else the answer is ok, and a cluster worker need not ask). */
  static needed(limits: AdmissionLimits, request: { voter?: string; key?: string }): boolean {
    return limits.perAddress !== null || request.key !== undefined || (limits.perVoter !== null && request.voter !== undefined);
  }

  /** Checks one vote and, when it is taken, counts it. */
  admit(request: AdmissionRequest, now: number): Verdict {
    if (request.key !== undefined) {
      const seen = this.#keys.get(request.key, now);
      if (seen !== undefined) return seen === request.fingerprint ? { ok: true, duplicate: true } : { ok: false, reason: 'key_conflict' };
    }
    const voter = request.voter !== undefined ? this.#voters : undefined;
    if (voter?.full(request.voter!, now)) return { ok: false, reason: 'voter_limit', retryAfterSeconds: voter.retryAfter(request.voter!, now) };
    if (this.#addresses?.full(request.address, now)) return { ok: false, reason: 'address_limit', retryAfterSeconds: this.#addresses.retryAfter(request.address, now) };
    voter?.add(request.voter!, 1);
    this.#addresses?.add(request.address, 1);
    if (request.key !== undefined) this.#keys.set(request.key, request.fingerprint);
    return { ok: true, duplicate: false };
  }

  /** Gives back what admit() counted for a vote that was not taken after all (the journal refused it). */
  refund(request: AdmissionRequest): void {
    if (request.voter !== undefined) this.#voters?.add(request.voter, -1);
    this.#addresses?.add(request.address, -1);
  }
}
