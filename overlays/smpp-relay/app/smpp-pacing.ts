/**
 * How fast a link may send: the pause after the SMSC throttles (ESME_RTHROTTLED) and the
 * `throughput` token bucket. Both only compute; the link arms the timers.
 */

/** Kannel pauses SMPP_THROTTLING_SLEEP_TIME (1 s) after each 0x58; we start there and double while it goes on. */
const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30_000;

/**
 * The pause after ESME_RTHROTTLED: 1 s, doubling up to 30 s while the SMSC keeps throttling,
 * back to 1 s after a submit succeeds. Submits carry the epoch they were sent in: a 0x58 for
 * a submit sent before the current pause began is part of the same burst and neither starts
 * nor lengthens a pause (else a full window of 0x58 would jump straight to 30 s).
 */
export class ThrottlePause {
  private nextMs = FIRST_PAUSE_MS;
  private untilMs = 0;
  private epochValue = 0;

  constructor(private readonly now: () => number) {}

  /** Increases with every pause; a submit records it when sent. */
  get epoch(): number {
    return this.epochValue;
  }

  /** Milliseconds left of the current pause; 0 when not paused. */
  remainingMs(): number {
    return Math.max(0, this.untilMs - this.now());
  }

  /** The SMSC throttled a submit sent in `sentEpoch`: the new pause's length, or undefined when the current one covers it. */
  throttled(sentEpoch: number): number | undefined {
    if (sentEpoch < this.epochValue) return undefined;
    const pause = this.nextMs;
    this.epochValue += 1;
    this.untilMs = this.now() + pause;
    this.nextMs = Math.min(pause * 2, LONGEST_PAUSE_MS);
    return pause;
  }

  /** A submit succeeded: the throttling is over. */
  succeeded(): void {
    this.nextMs = FIRST_PAUSE_MS;
  }
}

/**
 * Kannel's `throughput`: at most `rate` submits per second, with a burst of one second's worth
 * (at least one), refilled continuously.
 */
export class TokenBucket {
  private readonly capacity: number;
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number,
  ) {
    this.capacity = Math.max(1, rate);
    this.tokens = this.capacity;
    this.refilledAt = now();
  }

  /** Whether a submit may go now. */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Spends one token (the caller checked available()). */
  take(): void {
    this.refill();
    this.tokens -= 1;
  }

  /** Milliseconds until a token is there; 0 when one is. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }
}
