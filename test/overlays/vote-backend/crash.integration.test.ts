/**
 * Nothing lost when the service dies: the whole service (primary and workers) killed with
 * SIGKILL under load and started again on the same journals (plain clients, clients that send a
 * failed vote again with its Idempotency-Key, journals rewritten after nearly every batch), one
 * worker killed alone while the primary keeps running, a kill with the database down and a
 * restart with fewer workers, and a SIGTERM under load. A 202 promised the vote was on disk:
 * every one must reach the table, once, and the results must count what the table holds.
 */
import type { ExecutionContext } from 'ava';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import type { RunningMariaDb } from './helpers/mariadb.js';
import { assertAllLanded, DATABASE, MARIADB_TOOLS, startVoteDatabase, tableCount, tableCounts, tableIds } from './helpers/vote-table.js';
import { resultCounts, startVoteService, waitUntil, type RunningVoteService } from './helpers/vote-service.js';
import { startVoters } from './helpers/voters.js';

const test = testNeeding({ tools: MARIADB_TOOLS }, { serial: true });

/** Each voter votes once an hour at most: admission goes through the primary for every vote. */
const LIMITS = { limits: { perVoter: { max: 1, windowSeconds: 3600 }, perAddress: null } };

async function startAll(t: ExecutionContext, config: Record<string, unknown> = {}): Promise<{ db: RunningMariaDb; service: RunningVoteService }> {
  const dir = await makeTempDir(t, 'vote-crash-');
  const db = await startVoteDatabase(t, { dir });
  const service = await startVoteService(t, {
    dir,
    database: { endpoints: [{ socketPath: db.socket }], ...DATABASE },
    config: { ...LIMITS, ...config },
  });
  return { db, service };
}

/**
 * Load, kill -9 of the whole process group, a restart on the same journals while the clients
 * go on (with keys, a client sends the vote its failed request carried again, same key).
 */
const killWholeService = (clients: { idempotencyKeys: boolean; compactAtBytes?: number }) => async (t: ExecutionContext) => {
  // the default batch interval: a second of votes is in the journals alone when the kill comes
  const { db, service } = await startAll(t, { batch: { intervalMs: 1000, maxVotes: 10_000 }, ...(clients.compactAtBytes ? { compactAtBytes: clients.compactAtBytes } : {}) });
  t.deepEqual((await service.workerPids()).length, 2);
  const voters = startVoters(service.url, { clients: 12, idempotencyKeys: clients.idempotencyKeys });
  let killedAfter: number;
  let rowsAtKill: number;
  let replayed: number[];
  try {
    // some batches committed and some votes still in the journals when the kill comes
    await voters.acceptedMore(400);
    await waitUntil('a batch committed', () => tableCount(db), (rows) => rows > 0);
    await voters.acceptedMore(200);
    await service.killAll();
    killedAfter = voters.accepted.size;
    rowsAtKill = await tableCount(db);
    const from = service.output().length;
    await service.start();
    replayed = [...service.output().slice(from).matchAll(/(\d+) votes from the journal are still to go/g)].map((match) => Number(match[1]));
    await voters.acceptedMore(200);
  } finally {
    await voters.stop();
  }
  t.log(`${killedAfter} votes answered 202 before the kill, ${voters.accepted.size} in all; ${rowsAtKill} in the table when it came; ` +
    `the restarted workers replayed ${replayed.join(' and ') || 'no'} votes; ${voters.retriedAccepted} sent again with their key; answers ${JSON.stringify([...voters.answers])}`);
  if (clients.idempotencyKeys) t.true(voters.retriedAccepted > 0, 'no vote was sent again: the test did not test the retries');

  await assertAllLanded(t, { db, service, accepted: voters.accepted.keys() });
  const table = await tableCounts(db, 'final');
  const results = await waitUntil('the results to count what the table holds', () => resultCounts(service, 'final'), (counts) => JSON.stringify(counts) === JSON.stringify(table), 30_000)
    .catch(async () => resultCounts(service, 'final'));
  t.deepEqual(results, table, 'the results endpoint counts differently from the votes table');
  t.is(Object.values(table).reduce((sum, n) => sum + n, 0), await tableCount(db));
  await service.stop();
};

test('kill -9 of the primary and its workers under load loses no vote answered 202, and after the restart the results count each vote once', killWholeService({ idempotencyKeys: false }));
test('kill -9 under load with the journals rewritten without their committed votes after nearly every batch loses no vote answered 202', killWholeService({ idempotencyKeys: false, compactAtBytes: 4096 }));
test('kill -9 under load with clients sending a failed vote again with its Idempotency-Key: each such vote is in the table and the results once', killWholeService({ idempotencyKeys: true }));

test('kill -9 of one worker: the primary starts it again, its journal replays, and no vote answered 202 is lost', async (t) => {
  // long batch intervals: the killed worker's journal holds votes the database does not have
  const { db, service } = await startAll(t, { batch: { intervalMs: 3000, maxVotes: 100_000 } });
  const voters = startVoters(service.url, { clients: 8 });
  let victim: number;
  let pendingAtKill: number;
  try {
    await voters.acceptedMore(300);
    const before = await service.workerPids();
    t.is(before.length, 2);
    victim = before[0]!;
    const from = service.output().length;
    pendingAtKill = await service.metric('journal_pending_votes');
    process.kill(victim, 'SIGKILL');
    await service.waitForOutput(/worker \d+ ended \(SIGKILL\); starting it again/, { from });
    const replayed = await service.waitForOutput(/(\d+) votes from the journal are still to go to the database/, { from });
    t.log(`worker ${victim} killed with ${pendingAtKill} votes pending in the server; the new worker replayed ${replayed[1]}`);
    t.true(Number(replayed[1]) > 0, 'the killed worker\'s journal held no pending vote: the test did not test the replay');
    const after = await waitUntil('two workers again', () => service.workerPids(), (pids) => pids.length === 2);
    t.false(after.includes(victim));
    t.true(after.includes(before[1]!), 'the worker that was not killed was restarted too');
    // the restarted worker takes votes too: cluster's round-robin hands it its share
    await voters.acceptedMore(300);
  } finally {
    await voters.stop();
  }
  t.log(`answers ${JSON.stringify([...voters.answers])}`);
  await assertAllLanded(t, { db, service, accepted: voters.accepted.keys() });
  const health = await service.get('/healthz');
  t.is((health.body as { workers: number }).workers, 2);
  await service.stop();
});

test('kill -9 with the database down and a restart with one worker: the journal no worker owns any more is taken over, and every vote answered 202 lands', async (t) => {
  const { db, service } = await startAll(t);
  await waitUntil('the workers connected', () => service.get('/healthz'), ({ body }) => (body as { database: { connectedWorkers: number } }).database.connectedWorkers === 2);
  await db.stop();
  const voters = startVoters(service.url, { clients: 6 });
  try {
    await voters.acceptedMore(300);
    t.is(await service.metric('committed_total'), 0, 'votes reached the stopped database');
  } finally {
    await service.killAll();
    await voters.stop();
  }
  await service.reconfigure({ workers: 1 });
  const from = service.output().length;
  await service.start();
  const adopted = await service.waitForOutput(/took over (\d+) pending votes from \S+votes-1\.journal/, { from });
  t.log(`${voters.accepted.size} votes answered 202; the one worker took over ${adopted[1]} from the second worker's journal`);
  t.true(Number(adopted[1]) > 0);
  await db.start();
  await assertAllLanded(t, { db, service, accepted: voters.accepted.keys() });
  await service.stop();
});

test('SIGTERM under load: the service exits 0 and the votes answered 202 are in the table, its last batch sent before it stops', async (t) => {
  // one batch can take every vote still pending at the stop
  const { db, service } = await startAll(t, { batch: { intervalMs: 1000, maxVotes: 100_000 } });
  const voters = startVoters(service.url, { clients: 8 });
  let exitCode: number | undefined;
  try {
    await voters.acceptedMore(500);
    exitCode = await service.stop();
  } finally {
    await voters.stop();
  }
  t.log(`answers ${JSON.stringify([...voters.answers])}`);
  t.is(exitCode, 0, `the service exited with ${exitCode} (undefined: it was still running 40 s after SIGTERM); it wrote:\n${service.output().slice(-3000)}`);
  t.regex(service.output(), /stopping on SIGTERM/);
  const ids = await tableIds(db);
  t.deepEqual([...voters.accepted.keys()].filter((id) => ids.get(id) !== 1), [], 'votes answered 202 that the stopped service left out of the table');
});
