/**
 * One worker: its journal (votes-<index>.journal), its one database connection and batcher,
 * and its HTTP server. In a cluster the listening socket is the primary's (node:cluster hands
 * the workers connections in turn) and admission and the numbers of the whole server go
 * through the primary (cluster-channel.ts); alone, everything is here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../../runtime/http.js';
import type { Log } from '../../runtime/service-log.js';
import { Admission } from './admission.js';
import { Batcher } from './batcher.js';
import { LocalAdmission, type AdmissionClient } from './cluster-channel.js';
import type { VoteConfig } from './config.js';
import { CorsPolicy } from './cors.js';
import type { VoteDatabase } from './database.js';
import { mergeSnapshots, Metrics, renderMetrics, type MetricsSnapshot } from './metrics.js';
import { adoptOrphans, findOrphans, journalPath } from './orphan-journals.js';
import { renderPage } from './page.js';
import { ResultsCache } from './results.js';
import { createVoteHandler } from './vote-http.js';
import { indexPolls } from './vote-request.js';
import { VoteStore } from './vote-store.js';

export interface WorkerOptions {
  config: VoteConfig;
  /** This worker's number and how many there are. */
  index: number;
  count: number;
  database: VoteDatabase;
  log: Log;
  /** In a cluster: the primary's admission and every worker's numbers. */
  cluster?: AdmissionClient & { gather(): Promise<MetricsSnapshot[]> };
  /** false only in tests and benchmarks (journal.ts). */
  sync?: boolean;
  now?: () => number;
}

export interface RunningWorker {
  address: AddressInfo;
  store: VoteStore;
  batcher: Batcher;
  metrics: Metrics;
  server: Server;
  close(): Promise<void>;
}

/**
 * Health for /healthz from the server's numbers: ok while every worker that has started takes
 * votes (its journal writes and is under its share of maxPendingVotes); `problems` says what is
 * wrong in words: workers still starting (node:cluster hands connections only to workers that
 * listen, so the others take the votes meanwhile), and a database that does not answer (votes
 * are still taken then, into the journal).
 */
export function healthOf(snapshot: MetricsSnapshot, config: VoteConfig): { ok: boolean; problems: string[] } & Record<string, unknown> {
  const problems: string[] = [];
  const { workers, starting } = snapshot;
  const started = workers - starting;
  if (starting > 0) problems.push(`${starting} of ${workers} workers are starting (reading their journal): they take no votes yet`);
  if (snapshot.journalDegraded > 0) problems.push(`the journal of ${snapshot.journalDegraded} of ${workers} workers cannot write: they answer 503`);
  if (snapshot.journalFull > 0) {
    problems.push(`${snapshot.journalFull} of ${workers} workers hold the most votes they may for the database (maxPendingVotes ${config.maxPendingVotes} for the server): ` +
      'they answer 503 until the database takes votes again');
  }
  if (snapshot.databaseConnected < started) problems.push(`${started - snapshot.databaseConnected} of ${workers} workers are not connected to the database: their votes wait in the journal`);
  return {
    ok: snapshot.journalDegraded === 0 && snapshot.journalFull === 0,
    problems,
    workers,
    starting,
    journal: { pending: snapshot.journalPending, bytes: snapshot.journalBytes, degradedWorkers: snapshot.journalDegraded, fullWorkers: snapshot.journalFull, full: snapshot.journalFull > 0 },
    database: { connectedWorkers: snapshot.databaseConnected, up: snapshot.databaseConnected > 0, endpoints: snapshot.databaseEndpoints },
    accepted: snapshot.accepted,
    committed: snapshot.committed,
  };
}

export async function startVoteWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config, log, database } = options;
  const store = await VoteStore.open({
    path: journalPath(config.journalDir, options.index),
    log,
    maxPending: Math.max(1, Math.floor(config.maxPendingVotes / options.count)),
    compactAtBytes: config.compactAtBytes,
    ...(options.sync === undefined ? {} : { sync: options.sync }),
  });
  const orphans = await findOrphans(config.journalDir, options);
  await adoptOrphans(store, orphans, log).catch((error: unknown) => log.error(`could not take over ${orphans.join(', ')}: ${(error as Error).message}; the next start tries again`));
  if (store.pending > 0) log.info(`${store.pending} votes from the journal are still to go to the database`);
  const metrics = new Metrics(() => {
    const health = store.health();
    const status = database.status();
    return {
      journalPending: health.pending, journalBytes: health.bytes, journalDegraded: health.state === 'degraded' ? 1 : 0, journalFull: store.full ? 1 : 0,
      databaseConnected: status.connected ? 1 : 0, databaseEndpoints: status.connected && status.endpoint ? { [status.endpoint]: 1 } : {},
    };
  });
  const batcher = new Batcher({ store, database, log, metrics, intervalMs: config.batch.intervalMs, maxVotes: config.batch.maxVotes });
  const snapshots = async () => (options.cluster ? mergeSnapshots(await options.cluster.gather()) : metrics.snapshot());
  const handler = createVoteHandler({
    config,
    polls: indexPolls(config.polls),
    cors: new CorsPolicy(config.corsOrigins),
    admission: options.cluster ?? new LocalAdmission(new Admission(config.limits), options.now),
    store,
    batcher,
    results: new ResultsCache(database, { maxAgeMs: 1000, ...(options.now ? { now: options.now } : {}) }),
    metrics,
    metricsText: async () => renderMetrics(await snapshots()),
    health: async () => healthOf(await snapshots(), config),
    ...(config.page ? { page: renderPage(config.polls) } : {}),
    log,
    ...(options.now ? { now: options.now } : {}),
  });
  const server = createServer({ requestTimeout: 30_000, keepAliveTimeout: 10_000 }, handler);
  const address = await listenOn(server, config);
  batcher.start();
  return {
    address, store, batcher, metrics, server,
    async close() {
      await closeServer(server);
      await batcher.stop();
      // what is in the journal now goes in before the stop, if the database takes it
      if (store.pending > 0) await batcher.flushOnce().catch(() => undefined);
      await store.close();
      await database.close();
    },
  };
}

/** Listens with the configured backlog (Node's default is 511; the kernel caps it at net.core.somaxconn). */
function listenOn(server: Server, config: VoteConfig): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.listen.address, port: config.listen.port, backlog: config.listen.backlog }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
