/** The vote HTTP handler on a loopback port with fakes behind it: a store in memory, the fake database. */
import type { ExecutionContext } from 'ava';
import { createServer } from 'node:http';
import { closeServer, listen } from '../../../../overlays/runtime/http.js';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { Admission } from '../../../../overlays/vote-backend/app/admission.js';
import { LocalAdmission } from '../../../../overlays/vote-backend/app/cluster-channel.js';
import { CorsPolicy } from '../../../../overlays/vote-backend/app/cors.js';
import { emptySnapshot, Metrics, renderMetrics } from '../../../../overlays/vote-backend/app/metrics.js';
import { renderPage } from '../../../../overlays/vote-backend/app/page.js';
import { ResultsCache } from '../../../../overlays/vote-backend/app/results.js';
import { createVoteHandler } from '../../../../overlays/vote-backend/app/vote-http.js';
import { indexPolls } from '../../../../overlays/vote-backend/app/vote-request.js';
import { StoreUnavailableError, type NewVote, type Vote } from '../../../../overlays/vote-backend/app/vote-store.js';
import { FakeDatabase, NOW, testConfig } from './fixtures.js';

/** A store in memory: what it took, in order; `unavailable` refuses as a full or broken journal does. */
export class FakeStore {
  readonly votes: Vote[] = [];
  unavailable: string | undefined;

  async accept(vote: NewVote): Promise<Vote> {
    if (this.unavailable) throw new StoreUnavailableError(this.unavailable);
    const taken = { ...vote, seq: this.votes.length + 1 };
    this.votes.push(taken);
    return taken;
  }
}

export interface TestService {
  url: string;
  store: FakeStore;
  database: FakeDatabase;
  metrics: Metrics;
  clock: { now: number };
  health: { ok: boolean; problems: string[] };
  nudges: number;
  log: ReturnType<typeof createMemoryLog>;
}

/** The handler for `testConfig(change)` on 127.0.0.1, closed after the test. */
export async function startTestService(t: ExecutionContext, change: Record<string, unknown> = {}): Promise<TestService> {
  const config = testConfig(change);
  const log = createMemoryLog();
  const service: TestService = { url: '', store: new FakeStore(), database: new FakeDatabase(), metrics: new Metrics(() => ({ ...gauges })), clock: { now: NOW }, health: { ok: true, problems: [] }, nudges: 0, log };
  const gauges = { journalPending: 0, journalBytes: 0, journalDegraded: 0, journalFull: 0, databaseConnected: 1, databaseEndpoints: {} };
  const now = () => service.clock.now;
  const handler = createVoteHandler({
    config,
    polls: indexPolls(config.polls),
    cors: new CorsPolicy(config.corsOrigins),
    admission: new LocalAdmission(new Admission(config.limits), now),
    store: service.store,
    batcher: { nudge: () => void service.nudges++ },
    results: new ResultsCache(service.database, { maxAgeMs: 1000, now }),
    metrics: service.metrics,
    metricsText: async () => renderMetrics(service.metrics.snapshot()),
    health: async () => ({ ...service.health, ...emptySnapshot() }),
    ...(config.page ? { page: renderPage(config.polls) } : {}),
    log,
    now,
  });
  const server = createServer(handler);
  const address = await listen(server, 0, '127.0.0.1');
  t.teardown(() => closeServer(server));
  service.url = `http://127.0.0.1:${address.port}`;
  return service;
}
