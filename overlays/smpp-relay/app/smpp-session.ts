/**
 * One connection of a link, apart from the link's state machine: how it is opened (TCP or TLS,
 * always verified), when it counts as dead (the `smpp` package checks nothing: overlays/smpp-relay/README.md),
 * how it is closed, and how long to wait before the next one.
 */
import { isIP } from 'node:net';
import smpp from 'smpp';
import type { LinkSettings } from './types.js';

/** PEM material for TLS links (core group: ssl-trusted-ca-file, ssl-client-certkey-file). */
export interface TlsFiles {
  /** CAs the SMSC's certificate must chain to; Node's bundled CAs when absent. */
  ca?: string | Buffer;
  /** A client certificate and its key, for SMSCs that ask for one. */
  cert?: string;
  key?: string;
}

/** net/tls options for smpp.connect. */
export function connectOptions(settings: LinkSettings, files: TlsFiles = {}): smpp.ConnectOptions {
  const options: smpp.ConnectOptions = { host: settings.host, port: settings.port };
  if (!settings.tls) return options;
  // smpp passes these to tls.connect as they are. 0.5.1 leaves rejectUnauthorized to Node's
  // default (true) but 0.6.0 sets false (overlays/smpp-relay/README.md): say it, so an upgrade cannot turn
  // certificate and host name checks off. tls.connect checks the host name against `host`.
  return {
    ...options,
    tls: true,
    rejectUnauthorized: true,
    // Node sends no SNI unless asked; SMSCs behind a TLS front may need it (an IP address may not be one)
    ...(isIP(settings.host) === 0 && { servername: settings.host }),
    ...(files.ca !== undefined && { ca: files.ca }),
    ...(files.cert !== undefined && { cert: files.cert }),
    ...(files.key !== undefined && { key: files.key }),
  };
}

/** OpenSSL verification codes and Node's host name check (ERR_TLS_CERT_ALTNAME_INVALID). */
const CERTIFICATE_CODES = /CERT|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED/;

/** A connection error as one line that says what to do about a refused certificate. */
export function describeError(error: Error & { code?: unknown }, settings: LinkSettings): string {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (settings.tls && code && CERTIFICATE_CODES.test(code)) {
    return `TLS certificate of ${settings.host}:${settings.port} refused (${code}: ${error.message}); ` +
      'the certificate must name this host and chain to a CA in ssl-trusted-ca-file (or Node\'s bundled CAs)';
  }
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

/** Ends a session (pending writes, e.g. an unbind_resp, go first); destroys it if it is not closed within graceMs. */
export function endSession(session: smpp.Session, how: 'end' | 'destroy', graceMs = 1000): Promise<void> {
  const socket = session.socket;
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), graceMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (how === 'destroy') socket.destroy();
    else socket.end();
  });
}

/**
 * Wait before connecting again after `failures` failed or lost connections in a row:
 * reconnect-delay, doubling up to 8 times it (Kannel waits reconnect-delay flat), plus up to
 * 20% so that links sharing an SMSC do not come back in step.
 */
export function reconnectDelayMs(reconnectDelay: number, failures: number, random: number): number {
  return reconnectDelay * 1000 * Math.min(2 ** failures, 8) * (1 + 0.2 * random);
}

/** Liveness limits in milliseconds; 0 turns a check off (Kannel: connection-timeout 0). */
export interface LivenessLimits {
  enquireIntervalMs: number;
  /** How long an enquire_link may go unanswered. */
  enquireDeadlineMs: number;
  connectionTimeoutMs: number;
  /** How long the TCP/TLS connect plus bind may take. */
  bindTimeoutMs: number;
}

/** The longest a connect plus bind may take, whatever connection-timeout says. */
const BIND_TIMEOUT_MS = 30_000;
/** The longest an enquire_link may go unanswered. */
const ENQUIRE_DEADLINE_MS = 10_000;

/** The limits a link's settings give. */
export function livenessLimits(settings: LinkSettings): LivenessLimits {
  const enquireIntervalMs = Math.max(0, settings.enquireLinkInterval * 1000);
  const connectionTimeoutMs = Math.max(0, settings.connectionTimeout * 1000);
  return {
    enquireIntervalMs,
    enquireDeadlineMs: Math.min(enquireIntervalMs || ENQUIRE_DEADLINE_MS, ENQUIRE_DEADLINE_MS),
    connectionTimeoutMs,
    bindTimeoutMs: Math.min(connectionTimeoutMs || BIND_TIMEOUT_MS, BIND_TIMEOUT_MS),
  };
}

/** What the watchdog should do now. */
export type LivenessAction = { kind: 'wait' } | { kind: 'enquire' } | { kind: 'dead'; reason: string };

/**
 * When a connection is dead: no bind response in time, nothing at all from the SMSC for
 * connection-timeout, or no answer to an enquire_link (sent after enquire-link-interval of
 * silence) within min(interval, 10 s). Any PDU from the SMSC counts as an answer.
 */
export class Liveness {
  private readonly openedAt: number;
  private heardAt: number;
  private enquiredAt: number | undefined;
  private bound = false;

  constructor(private readonly limits: LivenessLimits, private readonly now: () => number) {
    this.openedAt = now();
    this.heardAt = this.openedAt;
  }

  /** A PDU arrived. */
  heard(): void {
    this.heardAt = this.now();
    this.enquiredAt = undefined;
  }

  /** The bind succeeded: enquire_link may be sent from now on. */
  bindDone(): void {
    this.bound = true;
  }

  enquired(): void {
    this.enquiredAt = this.now();
  }

  check(): LivenessAction {
    const now = this.now();
    const { enquireIntervalMs, enquireDeadlineMs, connectionTimeoutMs, bindTimeoutMs } = this.limits;
    const seconds = (ms: number) => `${ms / 1000} s`;
    if (!this.bound && now - this.openedAt >= bindTimeoutMs) return { kind: 'dead', reason: `not bound within ${seconds(bindTimeoutMs)}` };
    if (connectionTimeoutMs > 0 && now - this.heardAt >= connectionTimeoutMs) {
      return { kind: 'dead', reason: `nothing from the SMSC in ${seconds(connectionTimeoutMs)} (connection-timeout)` };
    }
    if (this.enquiredAt !== undefined && now - this.enquiredAt >= enquireDeadlineMs) {
      return { kind: 'dead', reason: `no answer to enquire_link within ${seconds(enquireDeadlineMs)}: dead link` };
    }
    if (this.bound && this.enquiredAt === undefined && enquireIntervalMs > 0 && now - this.heardAt >= enquireIntervalMs) return { kind: 'enquire' };
    return { kind: 'wait' };
  }

  /** How often to check: a fifth of the shortest limit, between 10 ms and 1 s. */
  tickMs(): number {
    const limits = Object.values(this.limits).filter((ms) => ms > 0);
    return Math.min(1000, Math.max(10, Math.min(...limits) / 5));
  }
}
