/**
 * The relay, wired: the store replayed, one SMPP link per smsc group, the dispatcher between
 * them, receipts matched and DLR URLs fetched, the sendsms and status servers. Start order
 * keeps the promise of the store: what the journal holds is queued before any link binds, and
 * the HTTP side opens last; stop closes the HTTP side first, unbinds, and flushes the store.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Log } from '../../service-log.js';
import { Dispatcher, type PartJob } from './dispatcher.js';
import { DlrPoster } from './dlr-poster.js';
import { createSendsmsServer, createStatusServer, listen } from './http-server.js';
import { submitPartFor } from './parts.js';
import { Receipts } from './receipts.js';
import { handleSendsms } from './sendsms.js';
import { SmppLink } from './smpp-link.js';
import { renderStatusText, type RelayStatus } from './status.js';
import { MessageStore } from './store.js';
import type { RelaySettings } from './types.js';

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

/** Starts the relay; resolves once every server listens. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { settings, log } = options;
  const started = Date.now();
  const counters = { accepted: 0, sent: 0, failed: 0 };
  const links = settings.links.map((link) => ({ settings: link, port: new SmppLink(link, { log, ...(options.tls ? { tls: options.tls } : {}) }) }));
  const receipts = new Receipts({ links: settings.links, log });
  const store = await MessageStore.load({ path: options.storePath, keyOf: receipts.keyOf, wantsReceipt: Receipts.wantsReceipt, log, sync: options.sync ?? true });
  receipts.attach(store);
  const poster = new DlrPoster({ done: (key) => store.posted(key), log });
  receipts.onPost = (post) => poster.post(post);
  const dispatcher = new Dispatcher(links, {
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
        log.warn(`message ${job.message.id} part ${job.part + 1}/${job.message.parts.length} to ${job.message.to} failed: ${failure.reason}`);
        receipts.failed(job, failure);
      },
    },
  });
  for (const link of links) link.port.on('deliver', (deliver) => receipts.deliver(deliver));
  for (const { message, outcomes } of store.open.values()) {
    dispatcher.enqueue(message, outcomes.flatMap((outcome, part) => (outcome === undefined ? [part] : [])));
  }
  for (const post of store.posts.values()) poster.post(post);
  if (store.open.size > 0) log.info(`resuming ${store.open.size} messages from ${options.storePath}`);
  dispatcher.start();
  for (const link of links) link.port.start();

  let reference = Math.floor(Math.random() * 256);
  const sendsms = createSendsmsServer((args, clientIp) =>
    handleSendsms(args, clientIp, {
      users: settings.users,
      smsbox: settings.smsbox,
      route: (smscId) => dispatcher.preview(smscId),
      accept: async (messages) => {
        await Promise.all(messages.map((message) => store.accept(message)));
        counters.accepted += messages.length;
        for (const message of messages) dispatcher.enqueue(message);
      },
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
    store: { path: options.storePath, bytes: store.size },
  });
  const admin = createStatusServer({
    passwords: [settings.core.adminPassword, settings.core.statusPassword].filter((password): password is string => Boolean(password)),
    text: () => renderStatusText(status()),
    json: status,
  });
  const maintenance = setInterval(() => {
    const expired = receipts.expire(Date.now() - settings.core.dlrExpiryHours * 3600 * 1000);
    if (expired > 0) log.info(`${expired} delivery receipts never came within dlr-expiry; no longer awaited`);
    store.compactIfLarge().catch((error: Error) => log.error(`compacting ${options.storePath} failed: ${error.message}`));
  }, 60_000);
  maintenance.unref();

  const closeServer = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  const close = async () => {
    clearInterval(maintenance);
    await Promise.all([closeServer(sendsms), closeServer(admin)]);
    dispatcher.stop();
    await Promise.all(links.map((link) => link.port.stop()));
    await poster.stop();
    await store.close();
  };
  let sendsmsPort: number;
  let adminPort: number;
  try {
    sendsmsPort = await listen(sendsms, options.ports?.sendsms ?? settings.smsbox.sendsmsPort, settings.smsbox.sendsmsInterface);
    adminPort = await listen(admin, options.ports?.admin ?? settings.core.adminPort, settings.core.adminInterface);
  } catch (error) {
    // the links are connecting or bound by now: left open, they would keep the process running
    // with no HTTP side (and systemd would see it up)
    await close().catch((closing: Error) => log.error(`stopping after a failed start: ${closing.message}`));
    throw error;
  }
  log.info(`sendsms on port ${sendsmsPort}, status on port ${adminPort}, ${links.length} links`);
  return { sendsmsPort, adminPort, status, close };
}
