/**
 * The database away: votes go on into the journals (202) up to maxPendingVotes, then 503 with
 * Retry-After; /healthz says what is wrong; once MariaDB is back every accepted vote lands,
 * once, without anyone telling the service.
 */
import type { ExecutionContext } from 'ava';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import type { RunningMariaDb } from './helpers/mariadb.js';
import { assertAllLanded, DATABASE, MARIADB_TOOLS, startVoteDatabase, tableCounts } from './helpers/vote-table.js';
import { postVote, resultCounts, startVoteService, waitUntil, type RunningVoteService } from './helpers/vote-service.js';
import { startVoters } from './helpers/voters.js';

const test = testNeeding({ tools: MARIADB_TOOLS }, { serial: true });

interface Health {
  ok: boolean;
  problems: string[];
  journal: { pending: number; fullWorkers: number };
  database: { connectedWorkers: number; up: boolean };
}

async function startAll(t: ExecutionContext, config: Record<string, unknown> = {}): Promise<{ db: RunningMariaDb; service: RunningVoteService }> {
  const dir = await makeTempDir(t, 'vote-outage-');
  const db = await startVoteDatabase(t, { dir });
  const service = await startVoteService(t, { dir, database: { endpoints: [{ socketPath: db.socket }], ...DATABASE }, config });
  return { db, service };
}

async function health(service: RunningVoteService): Promise<{ status: number; body: Health }> {
  const answer = await service.get('/healthz');
  return { status: answer.status, body: answer.body as unknown as Health };
}

/** MariaDB away for 10 s under load: `stop` shuts it down (SIGTERM), `kill` is kill -9 (InnoDB recovers at the next start). */
const outage = (how: 'stop' | 'kill') => async (t: ExecutionContext) => {
  const { db, service } = await startAll(t);
  await waitUntil('the workers connected', () => health(service), ({ body }) => body.database.connectedWorkers === 2);
  const voters = startVoters(service.url, { clients: 8 });
  let duringOutage: number;
  try {
    await voters.acceptedMore(200);
    const stoppedAt = Date.now();
    await (how === 'stop' ? db.stop() : db.kill());
    const before = voters.accepted.size;
    const down = await waitUntil('/healthz to say the database is down', () => health(service), ({ body }) => !body.database.up, 30_000);
    t.is(down.status, 200, 'votes are still taken while the database is down: /healthz must not fail the service');
    t.true(down.body.ok);
    t.true(down.body.problems.some((problem) => /2 of 2 workers are not connected to the database: their votes wait in the journal/.test(problem)), down.body.problems.join('; '));
    await voters.acceptedMore(200, 30_000);
    // the rest of the 10 s outage (the test waits on the votes above, not on this)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - stoppedAt))));
    duringOutage = voters.accepted.size - before;
    t.true(await service.metric('journal_pending_votes') >= duringOutage, 'the votes taken during the outage are not all pending in the journals');
    await db.start();
    await voters.acceptedMore(100);
  } finally {
    await voters.stop();
  }
  t.log(`${duringOutage} votes answered 202 while MariaDB was down, ${voters.accepted.size} in all; answers ${JSON.stringify([...voters.answers])}`);
  t.is(voters.answers.get(503) ?? 0, 0, 'votes were refused although the journal had room');
  await assertAllLanded(t, { db, service, accepted: voters.accepted.keys() });
  const back = await waitUntil('/healthz to say the database is up', () => health(service), ({ body }) => body.database.connectedWorkers === 2);
  t.deepEqual(back.body.problems, []);
  t.regex(service.output(), /the database takes votes again after \d+ s/);
  // a batch whose COMMIT went through unanswered is sent again: the results must not count it twice
  const table = await tableCounts(db, 'final');
  const results = await waitUntil('the results to count what the table holds', () => resultCounts(service, 'final'), (counts) => JSON.stringify(counts) === JSON.stringify(table), 30_000)
    .catch(async () => resultCounts(service, 'final'));
  t.deepEqual(results, table, 'the results endpoint counts differently from the votes table');
  await service.stop();
};

test('MariaDB stopped under load for 10 s: votes are still answered 202 into the journal, /healthz says the database is down, and all of them land once it is back', outage('stop'));
test('MariaDB killed with SIGKILL under load for 10 s: votes are still answered 202 into the journal, and all of them land once it is back', outage('kill'));

test('past maxPendingVotes with the database down votes get 503 with Retry-After and /healthz says why; when the database is back the backlog drains and votes are taken again', async (t) => {
  const maxPendingVotes = 40;
  const { db, service } = await startAll(t, { maxPendingVotes, retryAfterSeconds: 7 });
  await waitUntil('the workers connected', () => health(service), ({ body }) => body.database.connectedWorkers === 2);
  await db.stop();
  await waitUntil('/healthz to say the database is down', () => health(service), ({ body }) => !body.database.up, 30_000);

  // several clients, so that cluster's round-robin gives both workers connections
  const voters = startVoters(service.url, { clients: 6 });
  try {
    await waitUntil('both workers to be full', () => health(service), ({ body }) => body.journal.fullWorkers === 2, 30_000);
    await waitUntil('a run of 503s', async () => voters.answers.get(503) ?? 0, (refused) => refused >= 30, 30_000);
  } finally {
    await voters.stop();
  }
  t.log(`answers while the database was down: ${JSON.stringify([...voters.answers])}`);
  t.is(voters.accepted.size, maxPendingVotes, 'the votes taken into the journals are not maxPendingVotes');

  const refused = await postVote(service.url, { poll: 'final', choice: 'a', voter: 'one-more' });
  t.is(refused.status, 503);
  t.is(refused.headers.get('retry-after'), '7');
  t.is(refused.body.ok, false);
  t.regex(String(refused.body.message), /votes cannot be taken right now \(\d+ votes are waiting for the database[^)]*\); try again in 7 s/);
  const full = await health(service);
  t.is(full.status, 503);
  t.false(full.body.ok);
  t.is(full.body.journal.pending, maxPendingVotes);
  t.true(full.body.problems.some((problem) => /2 of 2 workers hold the most votes they may for the database \(maxPendingVotes 40 for the server\)/.test(problem)), full.body.problems.join('; '));
  t.true(full.body.problems.some((problem) => /not connected to the database/.test(problem)), full.body.problems.join('; '));

  await db.start();
  const drained = await waitUntil('the backlog to drain', () => health(service), ({ status, body }) => status === 200 && body.journal.pending === 0, 60_000);
  t.deepEqual(drained.body.problems, []);
  const taken = await postVote(service.url, { poll: 'final', choice: 'b', voter: 'after' });
  t.is(taken.status, 202);
  await assertAllLanded(t, { db, service, accepted: [...voters.accepted.keys(), String(taken.body.id)] });
  await service.stop();
});
