/**
 * Link health, where McDebian goes beyond Kannel: Kannel routes to any bound link, so a link
 * that binds but then times out or fails its submits keeps its share of the traffic until the
 * connection drops (overlays/smpp-relay/README.md, "Facts this overlay relies on"). Here such a link leaves the
 * rotation after `health-failures` failures in a row and is probed with one message after
 * `health-probe-delay` seconds; the delay doubles after each failed probe, up to a minute, and a
 * success brings the link back. Throttling (0x58) is not a failure: the link backs off itself.
 */

/** The longest wait between probes, in seconds. */
const MAX_PROBE_DELAY = 60;

export type HealthState = 'in' | 'out' | 'probing';

export interface HealthSnapshot {
  state: HealthState;
  /** Failures in a row. */
  failures: number;
  /** Epoch milliseconds of the next probe while out. */
  probeAt?: number;
  lastFailure?: string;
}

export class LinkHealth {
  #state: HealthState = 'in';
  #failures = 0;
  #delay: number;
  #probeAt = 0;
  #lastFailure: string | undefined;

  constructor(private readonly options: { failures: number; probeDelay: number; onChange?: (state: HealthState, why: string) => void }) {
    this.#delay = options.probeDelay;
  }

  get state(): HealthState {
    return this.#state;
  }

  /**
   * Whether the link may take another message now, given the parts it already holds (queued
   * and in flight): always while in rotation; one message at a time while probing; none while
   * out, until the probe is due.
   */
  admits(now: number, holding: number): boolean {
    if (this.#state === 'in') return true;
    if (this.#state === 'out' && now >= this.#probeAt) this.#change('probing', 'probe due');
    return this.#state === 'probing' && holding === 0;
  }

  /** A submit answered OK. */
  recordSuccess(): void {
    this.#failures = 0;
    if (this.#state !== 'in') {
      this.#delay = this.options.probeDelay;
      this.#change('in', 'a submit succeeded');
    }
  }

  /** A submit failed in a way that says something about the link: no answer, a system error, a full queue. */
  recordFailure(now: number, reason: string): void {
    this.#failures += 1;
    this.#lastFailure = reason;
    if (this.#state === 'probing') {
      this.#delay = Math.min(this.#delay * 2, MAX_PROBE_DELAY);
      this.#out(now, `probe failed: ${reason}`);
    } else if (this.#state === 'in' && this.#failures >= this.options.failures) {
      this.#out(now, `${this.#failures} failures in a row, the last: ${reason}`);
    }
  }

  snapshot(): HealthSnapshot {
    return {
      state: this.#state,
      failures: this.#failures,
      ...(this.#state === 'out' ? { probeAt: this.#probeAt } : {}),
      ...(this.#lastFailure === undefined ? {} : { lastFailure: this.#lastFailure }),
    };
  }

  #out(now: number, why: string): void {
    this.#probeAt = now + this.#delay * 1000;
    this.#change('out', `${why}; probing again in ${this.#delay} s`);
  }

  #change(state: HealthState, why: string): void {
    this.#state = state;
    this.options.onChange?.(state, why);
  }
}
