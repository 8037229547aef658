import test from 'ava';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { Batcher, type BatcherOptions } from '../../../../overlays/vote-backend/app/batcher.js';
import { Metrics } from '../../../../overlays/vote-backend/app/metrics.js';
import type { VoteStore } from '../../../../overlays/vote-backend/app/vote-store.js';
import { FakeDatabase, gate, newVote, openTestStore } from './fixtures.js';

function batcherFor(t: Parameters<typeof openTestStore>[0], store: VoteStore, options: Partial<BatcherOptions> = {}) {
  const database = new FakeDatabase();
  const log = createMemoryLog();
  const metrics = new Metrics(() => ({ journalPending: store.pending, journalBytes: store.bytes, journalDegraded: 0, journalFull: 0, databaseConnected: 1, databaseEndpoints: {} }));
  const batcher = new Batcher({ store, database, log, metrics, intervalMs: 10, maxVotes: 100, ...options });
  t.teardown(() => batcher.stop());
  return { batcher, database, log, metrics };
}

const ids = (votes: readonly { id: string }[]) => votes.map((vote) => vote.id);
const accept = (store: VoteStore, from: number, count: number) => Promise.all(Array.from({ length: count }, (_, n) => store.accept(newVote(from + n))));

test('idle, the batcher pings the database (which connects it and makes the schema) instead of inserting', async (t) => {
  const { store } = await openTestStore(t);
  const { batcher, database } = batcherFor(t, store);
  batcher.start();
  await database.calls(3);
  t.is(database.inserts.length, 0);
});

test('votes below maxVotes go in one batch at the next tick, oldest first, and leave the store', async (t) => {
  const { store } = await openTestStore(t);
  const { batcher, database, metrics } = batcherFor(t, store, { intervalMs: 50 });
  batcher.start();
  await database.calls(1);
  const votes = await accept(store, 1, 3);
  await database.until(() => database.rows.size === 3);
  await batcher.flushOnce();
  t.deepEqual(ids(database.inserts[0]!), ids(votes));
  t.is(store.pending, 0);
  t.is(metrics.snapshot().committed, 3);
});

test('maxVotes waiting send a batch at once, not at the next interval', async (t) => {
  const { store } = await openTestStore(t);
  const { batcher, database } = batcherFor(t, store, { intervalMs: 600_000, maxVotes: 5 });
  batcher.start();
  await database.calls(1);
  await accept(store, 1, 5);
  batcher.nudge();
  await database.calls(2);
  t.is(database.inserts[0]!.length, 5);
});

test('a backlog larger than maxVotes goes in batch after batch, in order, without waiting for the interval', async (t) => {
  const { store } = await openTestStore(t);
  const votes = await accept(store, 1, 9);
  const { batcher, database } = batcherFor(t, store, { intervalMs: 600_000, maxVotes: 3 });
  batcher.start();
  await database.until(() => database.rows.size === 9);
  t.deepEqual(database.inserts.map(ids), [ids(votes.slice(0, 3)), ids(votes.slice(3, 6)), ids(votes.slice(6))]);
});

test('the interval counts from the start of the last batch: one that took longer is followed at once', async (t) => {
  const { store } = await openTestStore(t);
  await accept(store, 1, 2);
  let clock = 0;
  const { batcher, database } = batcherFor(t, store, { intervalMs: 600_000, now: () => clock });
  const slow = gate();
  database.gate = slow.promise;
  batcher.start();
  await database.calls(1);
  clock = 600_001;
  slow.open();
  await database.calls(2);
  t.is(database.pings, 1);
});

test('a failing batch is retried whole, with back-off, until it goes in; nothing is lost or reordered', async (t) => {
  const { store } = await openTestStore(t);
  const votes = await accept(store, 1, 4);
  const { batcher, database, log, metrics } = batcherFor(t, store, { intervalMs: 10, maxRetryMs: 40, maxVotes: 2 });
  database.failing = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  batcher.start();
  await database.calls(3);
  database.failing = undefined;
  await database.until(() => database.rows.size === 4);
  const firstGood = database.inserts.length - 2;
  t.true(firstGood >= 2, JSON.stringify(database.inserts.map(ids)));
  for (const tried of database.inserts.slice(0, firstGood + 1)) t.deepEqual(ids(tried), ids(votes.slice(0, 2)));
  t.deepEqual(ids(database.inserts.at(-1)!), ids(votes.slice(2)));
  t.deepEqual([...database.rows.keys()], ids(votes));
  t.true(metrics.snapshot().databaseErrors.ECONNREFUSED! >= 2);
  t.true(log.lines.some((line) => /a batch of 2 votes did not reach the database \(connect ECONNREFUSED\); 4 votes wait in the journal, trying again in 0\.02 s/.test(line)), log.lines.join('\n'));
  t.true(log.lines.some((line) => /the database takes votes again after \d+ s/.test(line)));
});

test('flushes asked for together while a batch is in flight send each vote once', async (t) => {
  const { store } = await openTestStore(t);
  const votes = await accept(store, 1, 3);
  const { batcher, database } = batcherFor(t, store, { maxVotes: 1 });
  const held = gate();
  database.gate = held.promise;
  const flushes = [batcher.flushOnce(), batcher.flushOnce(), batcher.flushOnce()];
  await database.calls(1);
  held.open();
  t.deepEqual(await Promise.all(flushes), [true, true, true]);
  t.deepEqual(database.inserts.map(ids), votes.map((vote) => [vote.id]));
  t.is(store.pending, 0);
});

test('stop waits for the batch in flight and no batch follows', async (t) => {
  const { store } = await openTestStore(t);
  await accept(store, 1, 2);
  const { batcher, database } = batcherFor(t, store, { intervalMs: 10 });
  const held = gate();
  database.gate = held.promise;
  batcher.start();
  await database.calls(1);
  const stopped = batcher.stop();
  held.open();
  await stopped;
  t.is(store.pending, 0);
  const calls = database.inserts.length + database.pings;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(database.inserts.length + database.pings, calls);
});
