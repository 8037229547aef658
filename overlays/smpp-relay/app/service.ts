/**
 * The relay, wired: the store replayed, one SMPP link per smsc group, the dispatcher between
 * them, receipts matched and DLR URLs fetched, the sendsms and status servers. Start order
 * keeps the promise of the store: what the journal holds is queued before any link binds, and
 * the HTTP side opens last; stop closes the HTTP side first, unbinds, and flushes the store.
 */
import { randomUUID } from 'node:crypto';
import { flushRepeats, limitRepeats, type Log } from '../../runtime/service-log.js';
import { Dispatcher, type PartJob } from './dispatcher.js';
import { DlrPoster } from './dlr-poster.js';
import { closeServer, listen } from '../../runtime/http.js';
import { createSendsmsServer, createStatusServer } from './http-server.js';
import { submitPartFor } from './parts.js';
import { Receipts } from './receipts.js';
import { handleSendsms } from './sendsms.js';
import { Logins } from './sendsms-login.js';
import { SmppLink } from './smpp-link.js';
import { renderStatusText, type RelayStatus } from './status.js';
import { MessageStore, type StoredMessage } from './store.js';
import type { LinkSettings, RelaySettings } from './types.js';

export const VERSION = '1.0.0';

export interface RelayOptions {
  settings: RelaySettings;
  /** The journal file. */
  storePath: string;
  log: Log;
  tls?: { ca?: string; cert?: string; key?: string };
  /** false only in tests and benchmarks that do not measure durability. */
  sync?: boolean;
  /** Ports to use instead of the settings' (tests: 0 for free ones). */
  ports?: { sendsms?: number; admin?: number };
}

export interface RunningRelay {
  sendsmsPort: number;
  adminPort: number;
  status(): RelayStatus;
  close(): Promise<void>;
}

interface Counters {
  accepted: number;
  sent: number;
  failed: number;
}

type Links = { settings: LinkSettings; port: SmppLink }[];

/** The dispatcher, reporting what became of each part to the counters and the receipts. */
function createDispatcher(options: { settings: RelaySettings; links: Links; receipts: Receipts; counters: Counters; log: Log }): Dispatcher {
  const { settings, receipts, counters, log } = options;
  // an SMSC that refuses everything fails every part alike
  const failures = limitRepeats(log, 'failed parts');
  return new Dispatcher(options.links, {
    resendRetry: settings.core.smsResendRetry,
    resendFreq: settings.core.smsResendFreq,
    queueLimit: settings.core.smsOutgoingQueueLimit,
    partFor: (job: PartJob, link) => submitPartFor(job.message, job.part, link),
    log,
    events: {
      sent: (job, link, messageId) => {
        counters.sent += 1;
        receipts.sent(job, link.settings, messageId);
      },
      failed: (job, failure) => {
        counters.failed += 1;
        failures.warn(`message ${job.message.id} part ${job.part + 1}/${job.message.parts.length} to ${job.message.to} failed: ${failure.reason}`);
        receipts.failed(job, failure);
      },
    },
  });
}

/**
 * Stores the messages of one request, then dispatches them. Each one stored is dispatched even
 * when another could not be (the request is then answered 503, and that one may still be in
 * the journal and go after a restart: at-least-once).
 */
async function acceptAll(messages: StoredMessage[], store: MessageStore, dispatcher: Dispatcher, counters: Counters): Promise<void> {
  const results = await Promise.allSettled(messages.map((message) => store.accept(message)));
  messages.forEach((message, index) => {
    if (results[index]!.status !== 'fulfilled') return;
    counters.accepted += 1;
    dispatcher.enqueue(message);
  });
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Every minute: receipts that never came, and compaction of a grown journal. */
function startMaintenance(options: { receipts: Receipts; store: MessageStore; settings: RelaySettings; storePath: string; log: Log }): NodeJS.Timeout {
  const { receipts, store, settings, log } = options;
  const timer = setInterval(() => {
    const expired = receipts.expire(Date.now() - settings.core.dlrExpiryHours * 3600 * 1000);
    if (expired > 0) log.info(`${expired} delivery receipts never came within dlr-expiry; no longer awaited`);
    store.compactIfLarge().catch((error: Error) => log.error(`compacting ${options.storePath} failed: ${error.message}`));
  }, 60_000);
  timer.unref();
  return timer;
}

/** Starts the relay; resolves once every server listens. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { settings, log } = options;
  const started = Date.now();
  const counters: Counters = { accepted: 0, sent: 0, failed: 0 };
  const links: Links = settings.links.map((link) => ({ settings: link, port: new SmppLink(link, { log, ...(options.tls ? { tls: options.tls } : {}) }) }));
  const receipts = new Receipts({ links: settings.links, log });
  const store = await MessageStore.load({ path: options.storePath, keyOf: receipts.keyOf, wantsReceipt: Receipts.wantsReceipt, log, sync: options.sync ?? true });
  receipts.attach(store);
  const poster = new DlrPoster({ done: (key) => store.posted(key), log });
  receipts.onPost = (post) => poster.post(post);
  const dispatcher = createDispatcher({ settings, links, receipts, counters, log });
  for (const link of links) link.port.on('deliver', (deliver) => receipts.deliver(deliver));
  // what the journal holds is queued before any link binds
  for (const { message, outcomes } of store.open.values()) dispatcher.enqueue(message, outcomes.flatMap((outcome, part) => (outcome === undefined ? [part] : [])));
  for (const post of store.posts.values()) poster.post(post);
  if (store.open.size > 0) log.info(`resuming ${store.open.size} messages from ${options.storePath}`);
  dispatcher.start();
  for (const link of links) link.port.start();

  let reference = Math.floor(Math.random() * 256);
  const logins = new Logins({ log });
  const sendsms = createSendsmsServer((args, clientIp) =>
    handleSendsms(args, clientIp, {
      users: settings.users,
      logins,
      smsbox: settings.smsbox,
      route: (smscId) => dispatcher.preview(smscId),
      accept: (messages) => acceptAll(messages, store, dispatcher, counters),
      newId: randomUUID,
      now: Date.now,
      reference: () => (reference = (reference + 1) % 256),
    }),
  );
  const status = (): RelayStatus => ({
    version: VERSION,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    links: dispatcher.links.map((link, index) => ({ ...links[index]!.port.statusOf(), health: link.health.snapshot(), queued: link.queue.length })),
    waiting: dispatcher.waitingParts,
    messages: { accepted: counters.accepted, open: store.open.size, sent: counters.sent, failed: counters.failed },
    receipts: { awaited: store.waits.size, received: receipts.counters.received, unmatched: receipts.counters.unmatched },
    dlrUrls: { pending: store.posts.size, ...poster.counters },
    store: { path: options.storePath, bytes: store.size, ...store.state },
  });
  const admin = createStatusServer({
    passwords: [settings.core.adminPassword, settings.core.statusPassword].filter((password): password is string => Boolean(password)),
    text: () => renderStatusText(status()),
    json: status,
  });
  const maintenance = startMaintenance({ receipts, store, settings, storePath: options.storePath, log });
  const close = async () => {
    clearInterval(maintenance);
    await Promise.all([closeServer(sendsms), closeServer(admin)]);
    dispatcher.stop();
    await Promise.all(links.map((link) => link.port.stop()));
    await poster.stop();
    await store.close();
    flushRepeats(log);
  };
  try {
    const { port: sendsmsPort } = await listen(sendsms, options.ports?.sendsms ?? settings.smsbox.sendsmsPort, settings.smsbox.sendsmsInterface);
    const { port: adminPort } = await listen(admin, options.ports?.admin ?? settings.core.adminPort, settings.core.adminInterface);
    log.info(`sendsms on port ${sendsmsPort}, status on port ${adminPort}, ${links.length} links`);
    return { sendsmsPort, adminPort, status, close };
  } catch (error) {
    // the links are connecting or bound by now: left open, they would keep the process running
    // with no HTTP side (and systemd would see it up)
    await close().catch((closing: Error) => log.error(`stopping after a failed start: ${closing.message}`));
    throw error;
  }
}
