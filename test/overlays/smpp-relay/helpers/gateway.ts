/**
 * What the smpp-relay differential tests drive: real Kannel (kannel.ts) or our relay, behind
 * one interface, so a test runs the same requests against both and compares the answers and
 * what the simulated SMSC saw.
 */
import { request } from 'node:http';

/** A link's state as both gateways report it. */
export type LinkState = 'online' | 'offline';

/** A running SMS gateway: Kannel's bearerbox + smsbox, or the relay. */
export interface Gateway {
  readonly kind: 'kannel' | 'relay';
  /** GET /cgi-bin/sendsms with these query parameters. */
  sendsms(params: Record<string, string>): Promise<{ status: number; body: string }>;
  /** Each link's state by its smsc-admin-id: 'online' when bound and usable, else 'offline'. */
  linkStates(): Promise<Record<string, LinkState>>;
  /** Resolves when every named link is in the given state (poll; clear error with the last states on timeout). */
  waitForLinks(states: Record<string, LinkState>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * GET 127.0.0.1:port/path on a connection of its own. Node's global agent keeps connections
 * alive, and a test that restarts a gateway would otherwise get one reset on its next request.
 */
export function httpGet(port: number, path: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`GET 127.0.0.1:${port}${path}: no answer in ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The sendsms path for these parameters; encodeURIComponent, as Kannel reads %20 and + alike. */
export function sendsmsPath(params: Record<string, string>): string {
  const query = Object.entries(params).map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  return `/cgi-bin/sendsms?${query.join('&')}`;
}

/**
 * Polls `read` until every link named in `wanted` has its state, for Gateway.waitForLinks.
 * A read that fails (the gateway still starting) counts as "not yet".
 */
export async function pollLinks(
  read: () => Promise<Record<string, LinkState>>,
  wanted: Record<string, LinkState>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, LinkState> | string = 'no answer yet';
  for (;;) {
    last = await read().catch((error: Error) => `error: ${error.message}`);
    if (typeof last !== 'string' && Object.entries(wanted).every(([id, state]) => (last as Record<string, LinkState>)[id] === state)) return;
    if (Date.now() > deadline) {
      throw new Error(`links not ${JSON.stringify(wanted)} after ${timeoutMs} ms; last states: ${JSON.stringify(last)}`);
    }
    await sleep(100);
  }
}
