/**
 * The status endpoint on the admin port: links (bind state, health, queue, window, counters),
 * the global queue, the store and the DLR URLs, as text for a person and JSON for a script.
 * Kannel's /status shows the same per link ("online 12s", queued, sent, failed); the health
 * and the window are what a relay that takes links out of rotation must show besides.
 */
import type { HealthSnapshot } from './health.js';
import type { StoreState } from './store.js';

export interface LinkStatus {
  name: string;
  smscId: string;
  host: string;
  port: number;
  /** connecting, bound, reconnecting, stopped. */
  state: string;
  /** Seconds bound, while bound. */
  onlineSeconds?: number;
  health: HealthSnapshot;
  queued: number;
  inFlight: number;
  window: number;
  counters: Record<string, number | string | undefined>;
}

export interface RelayStatus {
  version: string;
  uptimeSeconds: number;
  links: LinkStatus[];
  /** Parts waiting for a link. */
  waiting: number;
  messages: { accepted: number; open: number; sent: number; failed: number };
  receipts: { awaited: number; received: number; unmatched: number };
  dlrUrls: { pending: number; fetched: number; retried: number; failed: number };
  /** The journal: where, how big, whether it can write (store-writer.ts), and the damaged lines this start set aside. */
  store: { path: string; bytes: number } & StoreState;
}

const pad = (text: string, width: number) => text.padEnd(width);

function linkLine(link: LinkStatus): string {
  const state = link.state === 'bound' ? `online ${link.onlineSeconds ?? 0}s` : link.state;
  const why = link.health.lastFailure === undefined ? '' : `: ${link.health.lastFailure}`;
  const health = link.health.state === 'in' ? '' : ` [${link.health.state === 'out' ? 'out of rotation' : 'probing'}${why}]`;
  const counters = Object.entries(link.counters)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  return `  ${pad(link.name, 16)} ${pad(link.smscId, 16)} ${link.host}:${link.port} ${state}${health}, queued ${link.queued}, in flight ${link.inFlight}/${link.window}${counters ? `, ${counters}` : ''}`;
}

/** The store: writable, or since when not and why; and what was quarantined. */
function storeLine(store: RelayStatus['store']): string {
  const state = store.state === 'writable'
    ? 'writable'
    : `NOT WRITABLE since ${store.since}, new messages refused, ${store.backlog} records held in memory: ${store.lastError}`;
  const quarantined = store.quarantined > 0 ? `; ${store.quarantined} damaged lines quarantined to ${store.quarantineFile}` : '';
  return `Store: ${store.path}, ${store.bytes} bytes, ${state}${quarantined}`;
}

/** The status as lines of text. */
export function renderStatusText(status: RelayStatus): string {
  const { messages, receipts, dlrUrls } = status;
  return [
    `McDebian smpp-relay ${status.version}, up ${status.uptimeSeconds}s`,
    '',
    'Links:',
    ...status.links.map(linkLine),
    '',
    `Messages: accepted ${messages.accepted}, open ${messages.open}, sent ${messages.sent} parts, failed ${messages.failed} parts, waiting for a link ${status.waiting} parts`,
    `Receipts: awaited ${receipts.awaited}, received ${receipts.received}, unmatched ${receipts.unmatched}`,
    `DLR URLs: pending ${dlrUrls.pending}, fetched ${dlrUrls.fetched}, retried ${dlrUrls.retried}, given up ${dlrUrls.failed}`,
    storeLine(status.store),
    '',
  ].join('\n');
}
