import test, { type ExecutionContext } from 'ava';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { emptySnapshot, type MetricsSnapshot } from '../../../../overlays/vote-backend/app/metrics.js';
import { healthOf, startVoteWorker } from '../../../../overlays/vote-backend/app/worker.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { FakeDatabase, NOW, testConfig } from './fixtures.js';

const config = testConfig();
/** Two workers, both started, connected and writing. */
const healthy = (change: Partial<MetricsSnapshot> = {}): MetricsSnapshot => ({ ...emptySnapshot(), workers: 2, databaseConnected: 2, accepted: 5, committed: 4, journalPending: 1, ...change });

test('a server whose workers all take votes and reach the database is healthy, with no problems', (t) => {
  t.like(healthOf(healthy(), config), { ok: true, problems: [], workers: 2, starting: 0, accepted: 5, committed: 4, journal: { pending: 1, full: false }, database: { up: true, connectedWorkers: 2 } });
});

test('a worker still reading its journal makes /healthz say it is starting, and is not counted as cut off from the database', (t) => {
  const health = healthOf(healthy({ workers: 2, starting: 1, databaseConnected: 1 }), config);
  t.true(health.ok);
  t.is(health.starting, 1);
  t.deepEqual(health.problems, ['1 of 2 workers are starting (reading their journal): they take no votes yet']);
});

const unhealthy = test.macro((t, change: Partial<MetricsSnapshot>, expected: { ok: boolean; problem: RegExp }) => {
  const health = healthOf(healthy(change), config);
  t.is(health.ok, expected.ok);
  t.is(health.problems.length, 1);
  t.regex(health.problems[0]!, expected.problem);
});

test('a worker whose journal cannot write makes the server unhealthy', unhealthy, { journalDegraded: 1 }, { ok: false, problem: /journal of 1 of 2 workers cannot write: they answer 503/ });
test('a worker at its share of maxPendingVotes makes the server unhealthy', unhealthy, { journalFull: 1 }, { ok: false, problem: /1 of 2 workers hold the most votes .*maxPendingVotes 2000000/ });
test('a database that does not answer is a problem but votes are still taken', unhealthy, { databaseConnected: 0 }, { ok: true, problem: /2 of 2 workers are not connected to the database: their votes wait in the journal/ });

/** A worker alone (no cluster) on 127.0.0.1 with a fake database, its journal in `dir`. */
async function startWorker(t: ExecutionContext, dir: string, database: FakeDatabase, change: Record<string, unknown> = {}) {
  const checked = testConfig({ journalDir: dir, listen: { address: '127.0.0.1' }, batch: { intervalMs: 20, maxVotes: 100 }, ...change });
  // port 0 (any free port) is no port a config may name
  const config = { ...checked, listen: { ...checked.listen, port: 0 } };
  const worker = await startVoteWorker({ config, index: 0, count: 1, database, log: createMemoryLog(), sync: false, now: () => NOW });
  let closed = false;
  const close = async () => {
    if (!closed) await worker.close();
    closed = true;
  };
  t.teardown(close);
  return { url: `http://127.0.0.1:${worker.address.port}`, worker, close };
}

const postVote = (url: string, body: Record<string, string>) => fetch(`${url}/votes`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

test('a worker takes votes into its journal while the database is away, and they land once it is back, each once', async (t) => {
  const dir = await makeTempDir(t);
  const database = new FakeDatabase();
  database.failing = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const { url, worker } = await startWorker(t, dir, database);
  for (const choice of ['a', 'b', 'a']) t.is((await postVote(url, { poll: 'show', choice })).status, 202);
  t.is(worker.store.pending, 3);
  const health = await (await fetch(`${url}/healthz`)).json() as { ok: boolean; problems: string[]; journal: { pending: number } };
  t.like(health, { ok: true, journal: { pending: 3 } });
  t.regex(health.problems.join(), /not connected to the database/);
  database.failing = undefined;
  await database.until(() => database.rows.size === 3);
  await worker.batcher.flushOnce();
  t.is(worker.store.pending, 0);
  const results = await (await fetch(`${url}/polls/show/results`)).json() as { total: number };
  t.is(results.total, 3);
});

test('a worker stopped with votes the database never took gives them back at the next start, and they land once', async (t) => {
  const dir = await makeTempDir(t);
  const away = new FakeDatabase();
  away.failing = new Error('gone');
  const first = await startWorker(t, dir, away);
  const answers = await Promise.all(['a', 'b'].map(async (choice) => (await (await postVote(first.url, { poll: 'show', choice })).json()) as { id: string }));
  await first.close();
  const database = new FakeDatabase();
  await startWorker(t, dir, database);
  await database.until(() => database.rows.size === 2);
  t.deepEqual([...database.rows.keys()].sort(), answers.map((answer) => answer.id).sort());
});

test('a worker stopping sends what is pending to the database first, when it can', async (t) => {
  const dir = await makeTempDir(t);
  const database = new FakeDatabase();
  const { url, close } = await startWorker(t, dir, database, { batch: { intervalMs: 60_000, maxVotes: 100 } });
  await database.calls(1);
  t.is((await postVote(url, { poll: 'show', choice: 'a' })).status, 202);
  await close();
  t.is(database.rows.size, 1);
});
