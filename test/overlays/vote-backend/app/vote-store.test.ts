import test from 'ava';
import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { StoreUnavailableError, VoteStore, voteRecordProblem, type Vote } from '../../../../overlays/vote-backend/app/vote-store.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { FakeDatabase, newVote, openTestStore } from './fixtures.js';

const ids = (votes: readonly { id: string }[]) => votes.map((vote) => vote.id);
const accept = (store: VoteStore, from: number, count: number) => Promise.all(Array.from({ length: count }, (_, n) => store.accept(newVote(from + n))));

test('accepted votes are numbered in order and pending until committed, oldest first', async (t) => {
  const { store } = await openTestStore(t);
  const votes = await accept(store, 1, 4);
  t.deepEqual(votes.map((vote) => vote.seq), [1, 2, 3, 4]);
  t.deepEqual(ids(store.peekBatch(3)), ids(votes.slice(0, 3)));
  store.committed(3);
  t.is(store.pending, 1);
  t.deepEqual(ids(store.peekBatch(10)), [votes[3]!.id]);
});

test('after a crash (the journal reopened without a close) the votes not yet committed come back, each once', async (t) => {
  const { store, path } = await openTestStore(t);
  const votes = await accept(store, 1, 5);
  store.committed(2);
  const { store: reopened } = await openTestStore(t, { path });
  t.deepEqual(reopened.peekBatch(100), votes.slice(2));
  const next = await reopened.accept(newVote(9));
  t.is(next.seq, 6, 'numbering goes on after the replayed votes');
});

test('a batch the database took but whose marker a crash lost is sent again with the same ids, which INSERT IGNORE keeps once', async (t) => {
  const { store, path } = await openTestStore(t);
  await accept(store, 1, 3);
  const database = new FakeDatabase();
  await database.insert(store.peekBatch(10));
  const { store: reopened } = await openTestStore(t, { path });
  await database.insert(reopened.peekBatch(10));
  reopened.committed(3);
  t.is(database.rows.size, 3);
  const { store: again } = await openTestStore(t, { path });
  t.is(again.pending, 0);
});

test('a torn last line (a write a crash cut short) is cut off with a warning and every whole vote is kept', async (t) => {
  const { store, path } = await openTestStore(t);
  const votes = await accept(store, 1, 3);
  await appendFile(path, '1a2b3c4d {"t":"v","s":4,"id":"00');
  const { store: reopened, log } = await openTestStore(t, { path });
  t.deepEqual(reopened.peekBatch(10), votes);
  t.true(log.lines.some((line) => /cut off a torn tail of \d+ bytes at line 4/.test(line)), log.lines.join('\n'));
});

test('a damaged line in the middle is set aside in a quarantine file and the votes around it are kept', async (t) => {
  const { store, path } = await openTestStore(t);
  const votes = await accept(store, 1, 3);
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines[1] = lines[1]!.replace('"p":"show"', '"p":"shoW"');
  await writeFile(path, lines.join('\n'));
  const { store: reopened, log } = await openTestStore(t, { path });
  t.deepEqual(ids(reopened.peekBatch(10)), [votes[0]!.id, votes[2]!.id]);
  t.true(log.lines.some((line) => /1 damaged lines of .* \(line 2: checksum mismatch\) moved to/.test(line)), log.lines.join('\n'));
  t.true((await readdir(dirname(path))).some((name) => name.includes('quarantine')));
});

test('a store at maxPending refuses new votes with StoreUnavailableError, and takes them again once votes are committed', async (t) => {
  const { store } = await openTestStore(t, { maxPending: 2 });
  await accept(store, 1, 2);
  t.true(store.full);
  await t.throwsAsync(store.accept(newVote(3)), { instanceOf: StoreUnavailableError, message: /2 votes are waiting for the database/ });
  store.committed(1);
  t.false(store.full);
  await t.notThrowsAsync(store.accept(newVote(4)));
});

test('a closed store refuses votes', async (t) => {
  const { store } = await openTestStore(t);
  await store.close();
  await t.throwsAsync(store.accept(newVote(1)), { instanceOf: StoreUnavailableError, message: 'the service is stopping' });
});

test('a journal grown past compactAtBytes is rewritten after a commit with the pending votes alone, which a reopen finds', async (t) => {
  const path = join(await makeTempDir(t, 'vote-store-'), 'votes-0.journal');
  const store = await VoteStore.open({ path, log: createMemoryLog(), maxPending: 1000, compactAtBytes: 4096, sync: false });
  const votes = await accept(store, 1, 60);
  const before = store.bytes;
  store.committed(58);
  await store.close();
  const after = (await readFile(path)).length;
  t.true(after < before / 4, `${after} bytes after the rewrite, ${before} before`);
  const { store: reopened } = await openTestStore(t, { path });
  t.deepEqual(reopened.peekBatch(100), votes.slice(58));
});

const problem = test.macro((t, record: unknown, expected: string | undefined) => t.is(voteRecordProblem(record), expected));
const vote: Record<string, unknown> = { t: 'v', s: 1, id: 'ab'.repeat(16), p: 'show', c: 'a', at: 1 };
test('a vote record is a record of the store', problem, vote, undefined);
test('a commit marker is a record of the store', problem, { t: 'c', s: 9 }, undefined);
test('a record without a sequence number is not', problem, { ...vote, s: -1 }, 'no sequence number');
test('a record of another type is not', problem, { ...vote, t: 'x' }, 'unknown type "x"');
test('a vote without a well-formed id is not', problem, { ...vote, id: 'ABC' }, 'no vote id');
test('a vote without a poll is not', problem, { ...vote, p: 1 }, 'no poll or choice');
test('a vote without a time is not', problem, { ...vote, at: null }, 'no time');
test('a value that is no object is not', problem, 'text', 'not an object');

test('votes read back keep their voter and address', async (t) => {
  const { store, path } = await openTestStore(t);
  const taken: Vote = await store.accept(newVote(1, { voter: 'alice', address: '2001:db8::1' }));
  const { store: reopened } = await openTestStore(t, { path });
  t.deepEqual(reopened.peekBatch(1), [taken]);
});

/** A journal file system whose fdatasync calls wait for the test to let each one finish (or fail it). */
function heldSyncs() {
  const calls: { finish: (error?: Error) => void }[] = [];
  let notify: (() => void) | undefined;
  let holding = true;
  return {
    calls,
    fdatasync: (_fd: number) => new Promise<void>((resolve, reject) => {
      if (!holding) return resolve();
      calls.push({ finish: (error) => (error ? reject(error) : resolve()) });
      notify?.();
    }),
    /** Lets every call held now and later finish (before the store is closed). */
    release: () => {
      holding = false;
      for (const call of calls) call.finish();
    },
    /** Resolves once `count` fdatasync calls have begun. */
    started: (count: number) => new Promise<void>((resolve) => {
      const check = () => (calls.length >= count ? resolve() : undefined);
      notify = check;
      check();
    }),
  };
}

test('a vote is taken (and so answered 202) only once the fdatasync covering it has returned; votes arriving meanwhile share the next one', async (t) => {
  const path = join(await makeTempDir(t, 'vote-store-'), 'votes-0.journal');
  const syncs = heldSyncs();
  const store = await VoteStore.open({ path, log: createMemoryLog(), maxPending: 100, compactAtBytes: 1 << 30, fileSystem: { fdatasync: syncs.fdatasync } });
  t.teardown(() => (syncs.release(), store.close()));
  const settled: number[] = [];
  const first = store.accept(newVote(1)).then((vote) => settled.push(vote.seq));
  await syncs.started(1);
  const later = [2, 3].map((n) => store.accept(newVote(n)).then((vote) => settled.push(vote.seq)));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(settled, [], 'nothing is taken while its fdatasync runs');
  t.deepEqual(store.peekBatch(10), [], 'nor offered to the database');
  syncs.calls[0]!.finish();
  await first;
  await syncs.started(2);
  t.deepEqual(settled, [1]);
  syncs.calls[1]!.finish();
  await Promise.all(later);
  t.deepEqual(settled, [1, 2, 3]);
  t.is(syncs.calls.length, 2, 'votes 2 and 3 shared one fdatasync');
  t.is(store.peekBatch(10).length, 3);
});

test('a vote whose fdatasync fails is refused, never sent to the database, and the store refuses votes until the journal is rewritten', async (t) => {
  const path = join(await makeTempDir(t, 'vote-store-'), 'votes-0.journal');
  const syncs = heldSyncs();
  const store = await VoteStore.open({ path, log: createMemoryLog(), maxPending: 100, compactAtBytes: 1 << 30, fileSystem: { fdatasync: syncs.fdatasync }, retryMs: 600_000 });
  t.teardown(() => (syncs.release(), store.close()));
  const accepted = store.accept(newVote(1));
  await syncs.started(1);
  syncs.calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await t.throwsAsync(accepted, { instanceOf: StoreUnavailableError, message: /could not be written: .*fsync failed/ });
  t.is(store.pending, 0);
  t.is(store.health().state, 'degraded');
  await t.throwsAsync(store.accept(newVote(2)), { instanceOf: StoreUnavailableError, message: /the vote journal cannot write/ });
});
