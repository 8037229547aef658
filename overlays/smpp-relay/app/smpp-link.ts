/**
 * One bind to one upstream SMSC (a Kannel `group = smsc` with `smsc = smpp`), kept up from
 * start() to stop(), with what the `smpp` package leaves to the application (overlays/smpp-relay/README.md).
 * Each connection (bind, keep-alive, the SMSC's requests) is an SmppConnection; the window,
 * wait-ack, throttling and throughput are Submits; this file is the state and the reconnecting.
 * Kannel 1.4.5's gw/smsc/smsc_smpp.c is the model; comments say where this differs.
 */
import { EventEmitter } from 'node:events';
import { limitRepeats, type Log } from '../../runtime/service-log.js';
import { SmppConnection } from './smpp-connection.js';
import { guardFraming, keepRawOctets } from './smpp-pdu.js';
import { reconnectDelayMs, type TlsFiles } from './smpp-session.js';
import { LINK_LOST, Submits, type LinkCounters } from './smpp-submits.js';
import type { DeliverSm, LinkSettings, SubmitPart, SubmitResult } from './types.js';

export type { TlsFiles } from './smpp-session.js';
export type { LinkCounters } from './smpp-submits.js';

/** `connecting` covers TCP/TLS and the bind; `reconnecting` is the wait before the next try. */
export type LinkState = 'connecting' | 'bound' | 'reconnecting' | 'stopped';

/** Events of a link; it never emits 'error'. */
export interface SmppLinkEvents {
  state: [state: LinkState];
  /** canSend() is true now: a slot freed, a pause or a token wait ended, or the link bound. */
  ready: [];
  /** A deliver_sm (receipt or MO), already answered with deliver_sm_resp. */
  deliver: [deliver: DeliverSm];
}

/** The link's line of the status page (status.ts adds health and queue). */
export interface LinkReport {
  name: string;
  smscId: string;
  host: string;
  port: number;
  state: LinkState;
  /** Seconds bound, while bound. */
  onlineSeconds?: number;
  inFlight: number;
  /** max-pending-submits. */
  window: number;
  /** LinkCounters, with lastError as its text and ISO time. */
  counters: Record<string, number | string | undefined>;
}

export interface SmppLinkOptions {
  log: Log;
  tls?: TlsFiles;
  /** Milliseconds since the epoch (default Date.now): timestamps, throughput, liveness. */
  now?: () => number;
  /** In [0, 1) (default Math.random): the reconnect jitter. */
  random?: () => number;
}

/** How long stop() waits for unbind_resp (Kannel: up to 30 s; a stopping service should not). */
const UNBIND_WAIT_MS = 3000;

/** One SMPP bind. */
export class SmppLink extends EventEmitter<SmppLinkEvents> {
  private readonly log: Log;
  private readonly now: () => number;
  private readonly tag: string;
  private readonly counts: LinkCounters = { submitted: 0, acked: 0, failedTemporary: 0, failedPermanent: 0, throttled: 0, timeouts: 0, reconnects: 0 };
  private readonly submits: Submits;
  private stateValue: LinkState = 'stopped';
  private connection: SmppConnection | undefined;
  private boundAt: number | undefined;
  private stopping: Promise<void> | undefined;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(readonly settings: LinkSettings, private readonly options: SmppLinkOptions) {
    super();
    keepRawOctets();
    guardFraming();
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.tag = `SMPP[${settings.name}]`;
    this.submits = new Submits({
      settings,
      now: this.now,
      counts: this.counts,
      note: (text, level, kind) => this.note(text, level, kind),
      ready: () => this.emitReady(),
      drop: (reason) => this.lose(reason),
    });
  }

  get state(): LinkState {
    return this.stateValue;
  }

  /** Submits sent and not yet settled. */
  get inFlight(): number {
    return this.submits.inFlight;
  }

  /** When the current bind succeeded; undefined while not bound. */
  get boundSince(): number | undefined {
    return this.boundAt;
  }

  get counters(): LinkCounters {
    return { ...this.counts };
  }

  /** What the status page shows of this link. */
  statusOf(): LinkReport {
    const { lastError, ...counts } = this.counts;
    const { name, smscId, host, port } = this.settings;
    return {
      name, smscId, host, port,
      state: this.stateValue,
      ...(this.boundAt !== undefined && { onlineSeconds: Math.round((this.now() - this.boundAt) / 1000) }),
      inFlight: this.submits.inFlight,
      window: Math.max(1, this.settings.maxPendingSubmits),
      counters: { ...counts, lastError: lastError?.text, lastErrorAt: lastError && new Date(lastError.at).toISOString() },
    };
  }

  /** Connects and binds, and keeps doing so until stop(). */
  start(): void {
    if (this.stateValue !== 'stopped' || this.stopping) return;
    this.failures = 0;
    this.connect();
  }

  /** Unbinds (waiting briefly for unbind_resp while answers still arrive), closes, and stays down. */
  stop(): Promise<void> {
    if (this.stateValue === 'stopped') return Promise.resolve();
    this.stopping ??= this.unbindAndClose().finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  /** Bound, the window has room, not paused by throttling, and throughput allows one more. */
  canSend(): boolean {
    return this.blocker() === undefined;
  }

  /** Sends one part; call only when canSend(). Settles with the SMSC's answer, or temporary on wait-ack or link loss. */
  submit(part: SubmitPart): Promise<SubmitResult> {
    const blocker = this.blocker();
    if (blocker !== undefined || !this.connection) return Promise.reject(new Error(`${this.tag}: cannot submit now: ${blocker ?? 'not connected'}`));
    return this.submits.send(this.connection, part).catch((error: Error) => Promise.reject(new Error(`${this.tag}: ${error.message}`)));
  }

  private blocker(): string | undefined {
    if (this.stopping) return 'the link is stopping';
    if (this.stateValue !== 'bound') return `the link is ${this.stateValue}`;
    return this.submits.blocker();
  }

  private async unbindAndClose(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.submits.stop();
    if (this.connection && this.stateValue === 'bound') await this.connection.unbind(UNBIND_WAIT_MS);
    await this.drop('link stopped before the SMSC answered', 'end');
    this.log.info(`${this.tag}: stopped`);
    this.setState('stopped');
  }

  private connect(): void {
    this.setState('connecting');
    try {
      const connection: SmppConnection = new SmppConnection(this.settings, {
        log: this.log,
        now: this.now,
        ...(this.options.tls && { tls: this.options.tls }),
        handlers: {
          bound: () => this.bound(),
          response: (sequence, status, messageId) => this.submits.answered(sequence, status, messageId),
          deliver: (deliver) => this.emit('deliver', deliver),
          lost: (reason) => this.lose(reason, connection),
        },
      });
      this.connection = connection;
    } catch (error) {
      // tls.connect throws at once on unusable PEM material, net.connect on a bad port
      this.note(`cannot connect to ${this.settings.host}:${this.settings.port}: ${(error as Error).message}`, 'error');
      this.scheduleReconnect(0);
    }
  }

  private bound(): void {
    this.boundAt = this.now();
    this.setState('bound');
    this.emitReady();
  }

  /** The connection is gone, or given up: fail what it carried, and connect again after the back-off. */
  private lose(reason: string, from = this.connection): void {
    if (!from || from !== this.connection || this.stopping) return;
    const where = `${this.settings.host}:${this.settings.port}`;
    if (this.boundAt === undefined) this.note(`cannot bind to ${where}: ${reason}`, 'error');
    else this.note(`link to ${where} lost: ${reason}`, 'warn');
    const heldMs = this.boundAt === undefined ? 0 : this.now() - this.boundAt;
    void this.drop(LINK_LOST, 'destroy');
    this.scheduleReconnect(heldMs);
  }

  /** Closes the connection (ended politely, or destroyed) and settles every unanswered submit at once. */
  private drop(reason: string, how: 'end' | 'destroy'): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.boundAt = undefined;
    this.submits.failAll(reason);
    return connection ? connection.close(how) : Promise.resolve();
  }

  /** A bind that outlived the longest back-off was not flapping: the back-off starts over. */
  private scheduleReconnect(heldMs: number): void {
    if (heldMs >= this.settings.reconnectDelay * 8 * 1000) this.failures = 0;
    const delayMs = reconnectDelayMs(this.settings.reconnectDelay, this.failures, (this.options.random ?? Math.random)());
    this.failures += 1;
    this.counts.reconnects += 1;
    this.setState('reconnecting');
    this.log.info(`${this.tag}: connecting again in ${(delayMs / 1000).toFixed(1)} s`);
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private emitReady(): void {
    if (this.canSend()) this.emit('ready');
  }

  /** Logs a problem and keeps it as the last error; one of a `kind` that can come once a PDU is limited. */
  private note(text: string, level: 'warn' | 'error', kind?: string): void {
    this.counts.lastError = { text, at: this.now() };
    (kind === undefined ? this.log : limitRepeats(this.log, `${this.tag} ${kind}`))[level](`${this.tag}: ${text}`);
  }

  private setState(state: LinkState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.emit('state', state);
  }
}
