import test from 'ava';
import { ResultsCache } from '../../../../overlays/vote-backend/app/results.js';
import { FakeDatabase, gate, testConfig } from './fixtures.js';

const [poll] = testConfig().polls;

function cache(database: FakeDatabase, clock: { now: number }) {
  let reads = 0;
  const counting = Object.assign(Object.create(database) as FakeDatabase, { counts: (id: string) => (reads++, database.counts(id)) });
  return { results: new ResultsCache(counting, { maxAgeMs: 1000, now: () => clock.now }), reads: () => reads };
}

const vote = (id: string, choice: string) => ({ seq: 1, id, poll: 'show', choice, at: 0 });

test('results list every choice of the poll with its votes, the total and when they were read', async (t) => {
  const database = new FakeDatabase();
  await database.insert([vote('1', 'a'), vote('2', 'a'), vote('3', 'b')]);
  const { results } = cache(database, { now: Date.parse('2026-06-01T20:00:00Z') });
  t.deepEqual(await results.get(poll!), {
    poll: 'show', title: 'Best show', total: 3, asOf: '2026-06-01T20:00:00.000Z',
    counts: [{ choice: 'a', label: 'Alpha', votes: 2 }, { choice: 'b', label: 'Beta', votes: 1 }],
  });
});

test('results are read from the database again once the last read is a second old, and not before', async (t) => {
  const database = new FakeDatabase();
  const clock = { now: 10_000 };
  const { results, reads } = cache(database, clock);
  await results.get(poll!);
  clock.now = 10_999;
  await database.insert([vote('1', 'a')]);
  t.is((await results.get(poll!)).total, 0, 'within the second: the cached answer');
  t.is(reads(), 1);
  clock.now = 11_000;
  const fresh = await results.get(poll!);
  t.is(fresh.total, 1);
  t.is(fresh.asOf, new Date(11_000).toISOString());
  t.is(reads(), 2);
});

test('pages asking while a read is in flight share it', async (t) => {
  const database = new FakeDatabase();
  const slow = gate();
  const shared = Object.assign(Object.create(database) as FakeDatabase, { counts: async (id: string) => (await slow.promise, database.counts(id)) });
  let reads = 0;
  const counting = Object.assign(Object.create(shared) as FakeDatabase, { counts: (id: string) => (reads++, shared.counts(id)) });
  const results = new ResultsCache(counting, { maxAgeMs: 1000, now: () => 0 });
  const answers = Promise.all([results.get(poll!), results.get(poll!), results.get(poll!)]);
  slow.open();
  t.is((await answers).length, 3);
  t.is(reads, 1);
});

test('a database that cannot be read rejects, and the next ask reads again', async (t) => {
  const database = new FakeDatabase();
  const { results, reads } = cache(database, { now: 0 });
  database.failing = new Error('gone');
  await t.throwsAsync(results.get(poll!), { message: 'gone' });
  database.failing = undefined;
  t.is((await results.get(poll!)).total, 0);
  t.is(reads(), 2);
});
