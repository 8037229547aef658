/**
 * The submitting half of a link: the window, wait-ack and what follows it, throttling,
 * throughput, the results and their counters. The link around it owns the connection and
 * its state; this part tells it when to go down (wait-ack-expire 'reconnect').
 */
import smpp from 'smpp';
import type { SmppConnection } from './smpp-connection.js';
import { ThrottlePause, TokenBucket } from './smpp-pacing.js';
import { describeStatus, submitParams, submitResult, unsendablePart } from './smpp-pdu.js';
import { SubmitWindow, type WindowEntry } from './smpp-window.js';
import type { LinkSettings, SubmitPart, SubmitResult } from './types.js';

/** For the status page. submitted = acked + failedTemporary + failedPermanent + inFlight. */
export interface LinkCounters {
  submitted: number;
  acked: number;
  /** Temporary results of any cause: an SMSC status, wait-ack, link loss. */
  failedTemporary: number;
  failedPermanent: number;
  /** ESME_RTHROTTLED answers. */
  throttled: number;
  /** Submits that passed wait-ack unanswered. */
  timeouts: number;
  /** Waits before connecting again (after a refused bind, a lost or dead connection). */
  reconnects: number;
  lastError?: { text: string; at: number };
}

/** The reason of every submit unanswered when its connection went. */
export const LINK_LOST = 'link lost before the SMSC answered';

export interface SubmitsOptions {
  settings: LinkSettings;
  now: () => number;
  counts: LinkCounters;
  /** Logs a problem (lines of one kind limited, as an SMSC can cause one per submit) and keeps it as the last error. */
  note(text: string, level: 'warn' | 'error', kind: string): void;
  /** A submit may be possible again (a slot freed, a pause or a token wait ended). */
  ready(): void;
  /** The link must go down and come back: wait-ack with 'reconnect', or a window stuck past wait-ack. */
  drop(reason: string): void;
}

/** The submits of one link, across its connections. */
export class Submits {
  private readonly window: SubmitWindow;
  private readonly throttle: ThrottlePause;
  private readonly bucket: TokenBucket | undefined;
  private readonly timers: Record<'throttle' | 'token', NodeJS.Timeout | undefined> = { throttle: undefined, token: undefined };

  constructor(private readonly options: SubmitsOptions) {
    const { settings, now } = options;
    this.window = new SubmitWindow({
      size: Math.max(1, settings.maxPendingSubmits),
      waitAckMs: settings.waitAck * 1000,
      onOverdue: (entry) => this.overdue(entry),
    });
    this.throttle = new ThrottlePause(now);
    this.bucket = settings.throughput > 0 ? new TokenBucket(settings.throughput, now) : undefined;
  }

  get inFlight(): number {
    return this.window.inFlight;
  }

  /** Why no submit may go now, bound as the link is; undefined when one may. */
  blocker(): string | undefined {
    if (!this.window.hasRoom()) return 'the window is full';
    if (this.throttle.remainingMs() > 0) return 'paused: the SMSC is throttling';
    if (this.bucket && !this.bucket.available()) {
      // a token wait already armed stays: a later one would end no sooner
      this.timers.token ??= setTimeout(() => {
        this.timers.token = undefined;
        this.options.ready();
      }, Math.max(1, this.bucket.waitMs()));
      return 'throughput limit';
    }
    return undefined;
  }

  /**
   * Writes a submit_sm on the connection; the promise settles on its answer, wait-ack, or the
   * connection's end. A part no submit_sm can carry fails for good at once and is never written:
   * trying it again, here or on another link, would only fail again (or, written, corrupt it).
   */
  send(connection: SmppConnection, part: SubmitPart): Promise<SubmitResult> {
    const params = submitParams(part);
    const unsendable = unsendablePart(part, params);
    if (unsendable) return Promise.resolve(unsendable);
    const pdu = new smpp.PDU('submit_sm', params);
    let written: boolean;
    try {
      written = connection.send(pdu);
    } catch (error) {
      return Promise.resolve({ kind: 'permanent', status: smpp.errors.ESME_RUNKNOWNERR, reason: `not sent: cannot encode submit_sm: ${(error as Error).message}` });
    }
    this.bucket?.take();
    this.options.counts.submitted += 1;
    if (!written) {
      this.options.counts.failedTemporary += 1;
      this.options.drop('the connection no longer takes writes');
      return Promise.resolve({ kind: 'temporary', reason: LINK_LOST });
    }
    return this.window.add(pdu.sequence_number, { sentAt: this.options.now(), epoch: this.throttle.epoch });
  }

  /** A submit_sm_resp (or generic_nack) arrived. */
  answered(sequence: number, status: number, messageId: unknown): void {
    const entry = this.window.take(sequence);
    if (!entry) {
      // with wait-ack-expire 'requeue' the part was handed back at wait-ack: its answer comes too late
      this.options.note(`answer ${describeStatus(status)} for sequence ${sequence}, which no submit waits for: ignored`, 'warn', 'answers no submit waits for');
      return;
    }
    const result = submitResult(status, messageId);
    if (status === smpp.errors.ESME_RTHROTTLED) this.throttled(entry);
    else if (result.kind === 'ok') this.throttle.succeeded();
    else this.options.note(`submit_sm sequence ${sequence}: ${result.reason}`, 'warn', 'submits refused');
    this.settle(entry, result);
    this.options.ready();
  }

  /** The connection went: every unanswered submit settles now (the package would keep them forever). */
  failAll(reason: string): void {
    for (const entry of this.window.takeAll()) this.settle(entry, { kind: 'temporary', reason });
  }

  /** The link stops: no more timers. */
  stop(): void {
    clearTimeout(this.timers.throttle);
    clearTimeout(this.timers.token);
    this.timers.throttle = this.timers.token = undefined;
  }

  /** ESME_RTHROTTLED: Kannel pauses 1 s each time; the pause doubles while it goes on (smpp-pacing.ts). */
  private throttled(entry: WindowEntry): void {
    this.options.counts.throttled += 1;
    const pauseMs = this.throttle.throttled(entry.epoch);
    if (pauseMs === undefined) return;
    this.options.note(`the SMSC is throttling (ESME_RTHROTTLED): no submits for ${pauseMs / 1000} s`, 'warn', 'throttling');
    clearTimeout(this.timers.throttle);
    this.timers.throttle = setTimeout(() => {
      this.timers.throttle = undefined;
      this.options.ready();
    }, pauseMs);
  }

  /** wait-ack passed for one submit; what follows is wait-ack-expire's choice. */
  private overdue(entry: WindowEntry): void {
    const { waitAck, waitAckExpire } = this.options.settings;
    const reason = `no response within wait-ack ${waitAck} s`;
    this.options.counts.timeouts += 1;
    this.options.note(`submit_sm sequence ${entry.sequence}: ${reason} (wait-ack-expire ${waitAckExpire})`, 'warn', 'wait-ack expiries');
    if (waitAckExpire === 'wait') {
      // Kannel's 0x02 never expires: the part keeps its slot and settles on its answer or on link
      // loss, so it is never sent twice. A window full of such parts could send nothing ever
      // again, though: then the link goes down as with 'reconnect'.
      if (this.window.stuck()) this.options.drop('every submit in the window is past wait-ack');
      return;
    }
    this.window.take(entry.sequence);
    this.settle(entry, { kind: 'temporary', reason });
    if (waitAckExpire === 'reconnect') this.options.drop(reason);
    else this.options.ready();
  }

  private settle(entry: WindowEntry, result: SubmitResult): void {
    const counts = this.options.counts;
    if (result.kind === 'ok') counts.acked += 1;
    else if (result.kind === 'temporary') counts.failedTemporary += 1;
    else counts.failedPermanent += 1;
    entry.resolve(result);
  }
}
