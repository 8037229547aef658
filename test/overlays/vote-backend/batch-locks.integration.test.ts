/**
 * Several workers' batches into one MariaDB at once: each batch's transaction inserts its votes
 * and adds them to vote_counts with INSERT ... SELECT from votes, whose shared next-key locks on
 * the votes_batch index (REPEATABLE READ) can deadlock with another worker's inserts. InnoDB
 * rolls the victim back and asks for the transaction again: no batch may fail for it.
 */
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { assertAllLanded, DATABASE, MARIADB_TOOLS, startVoteDatabase, tableCounts } from './helpers/vote-table.js';
import { resultCounts, startVoteService, waitUntil } from './helpers/vote-service.js';
import { startVoters } from './helpers/voters.js';

const test = testNeeding({ tools: MARIADB_TOOLS });

test('four workers draining their backlogs into one MariaDB at once: no batch fails on a deadlock, and the results count what the table holds', async (t) => {
  const dir = await makeTempDir(t, 'vote-locks-');
  const db = await startVoteDatabase(t, { dir });
  const service = await startVoteService(t, {
    dir,
    database: { endpoints: [{ socketPath: db.socket }], ...DATABASE },
    config: { workers: 4, batch: { intervalMs: 100, maxVotes: 200 } },
  });
  const accepted: string[] = [];
  // three times: a backlog in every worker's journal, then the database back, full batches from all four at once
  for (let round = 0; round < 3; round++) {
    await db.stop();
    const voters = startVoters(service.url, { clients: 16, prefix: `r${round}-` });
    try {
      await voters.acceptedMore(6000, 90_000);
    } finally {
      await voters.stop();
    }
    await db.start();
    accepted.push(...voters.accepted.keys());
    await assertAllLanded(t, { db, service, accepted });
  }
  const { text } = await service.get('/metrics');
  const deadlocks = Number(/^mcdebian_vote_database_errors_total\{code="ER_LOCK_DEADLOCK"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  const batches = Number(/^mcdebian_vote_batch_size_votes_count (\d+)$/m.exec(text)?.[1]);
  t.log(`${accepted.length} votes in ${batches} batches`);
  t.is(deadlocks, 0, `batches failed on a deadlock:\n${service.output().slice(-2000)}`);
  const table = await tableCounts(db, 'final');
  const results = await waitUntil('the results to count what the table holds', () => resultCounts(service, 'final'), (counts) => JSON.stringify(counts) === JSON.stringify(table), 30_000)
    .catch(async () => resultCounts(service, 'final'));
  t.deepEqual(results, table);
  await service.stop();
});
