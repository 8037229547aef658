/**
 * Which votes a server takes before it writes them: at most `max` per voter (per poll) and per
 * client address in each window, and an Idempotency-Key reused for another vote refused
 * (draft-ietf-httpapi-idempotency-key-header-07, section 2.7: 422). A retry with the same key
 * and the same vote is taken again without counting against the limits: it has the same id,
 * so the database keeps one row.
 *
 * Windows are fixed (they start at multiples of their length since the epoch): one map of
 * counts per window, dropped whole when the next begins, so memory is bounded by the keys seen
 * in one window and each check is one map look-up. A client can get up to twice `max` across a
 * window boundary, which a per-voter limit on a TV vote can live with.
 *
 * In a cluster the primary process holds the one Admission, so that the limits hold for the
 * server whichever worker a request reaches (admission-channel.ts).
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

/** Counts per key in fixed windows. */
class WindowCounter {
  #window = -1;
  #counts = new Map<string, number>();

  constructor(private readonly limit: WindowLimit) {}

  /** Seconds until the current window ends. */
  retryAfter(now: number): number {
    const length = this.limit.windowSeconds * 1000;
    return Math.max(1, Math.ceil((length - (now % length)) / 1000));
  }

  full(key: string, now: number): boolean {
    this.#roll(now);
    return (this.#counts.get(key) ?? 0) >= this.limit.max;
  }

  add(key: string, delta: number): void {
    const count = (this.#counts.get(key) ?? 0) + delta;
    if (count > 0) this.#counts.set(key, count);
    else this.#counts.delete(key);
  }

  #roll(now: number): void {
    const window = Math.floor(now / (this.limit.windowSeconds * 1000));
    if (window === this.#window) return;
    this.#window = window;
    this.#counts = new Map();
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
  readonly #voters: WindowCounter | undefined;
  readonly #addresses: WindowCounter | undefined;
  readonly #keys: KeyMemory;

  constructor(limits: AdmissionLimits) {
    this.#voters = limits.perVoter ? new WindowCounter(limits.perVoter) : undefined;
    this.#addresses = limits.perAddress ? new WindowCounter(limits.perAddress) : undefined;
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
    if (voter?.full(request.voter!, now)) return { ok: false, reason: 'voter_limit', retryAfterSeconds: voter.retryAfter(now) };
    if (this.#addresses?.full(request.address, now)) return { ok: false, reason: 'address_limit', retryAfterSeconds: this.#addresses.retryAfter(now) };
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
