import test from 'ava';
import { emptySnapshot, type MetricsSnapshot } from '../../../../overlays/vote-backend/app/metrics.js';
import { healthOf } from '../../../../overlays/vote-backend/app/worker.js';
import { testConfig } from './fixtures.js';

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
