import test, { type ExecutionContext } from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { encodeLine } from '../../../../overlays/runtime/journal-format.js';
import { Receipts } from '../../../../overlays/smpp-relay/app/receipts.js';
import { MessageStore, type StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { storedMessage } from './message-fixtures.js';

const keyOf = (link: string, mid: string) => `${link}:${mid}`;

/** Opens the store in dir (a new temporary one by default), closed when the test ends. */
async function openStore(t: ExecutionContext, dir?: string, compactAt?: number): Promise<{ store: MessageStore; dir: string; path: string }> {
  const where = dir ?? (await makeTempDir(t, 'mcdebian-store-'));
  const path = join(where, 'spool', 'smpp-relay.journal');
  const store = await MessageStore.load({ path, keyOf, wantsReceipt: Receipts.wantsReceipt, log: createMemoryLog(), sync: false, ...(compactAt === undefined ? {} : { compactAt }) });
  t.teardown(() => store.close().catch(() => undefined));
  return { store, dir: where, path };
}

function message(id: string, parts = 1, change: Partial<StoredMessage> = {}): StoredMessage {
  return storedMessage(id, parts, { userName: 'App', smscId: 'carrier', acceptedAt: 1000, ...change });
}

const wantsDelivery = { dlrUrl: 'http://app.example/dlr?type=%d', dlrMask: 1 + 2 };

/** What the store holds, comparable. */
const stateOf = (store: MessageStore) => ({ open: [...store.open.entries()], waits: [...store.waits.entries()], posts: [...store.posts.entries()] });

/** A store with every kind of record in it. */
async function busyStore(store: MessageStore): Promise<void> {
  await store.accept(message('m1', 3, wantsDelivery));
  await store.accept(message('m2', 1));
  await store.accept(message('m3', 2, wantsDelivery));
  await store.accept(message('m4', 2, wantsDelivery));
  store.sent('m1', 0, 'a', 'X1', 2000);
  store.failed('m1', 2, { status: 0x45, reason: 'submit failed' }, 2001);
  store.sent('m2', 0, 'a', 'X2', 2002);
  store.sent('m3', 0, 'b', 'X3', 2003);
  store.sent('m3', 1, 'b', 'X4', 2004);
  store.receiptDone(keyOf('b', 'X3'));
  store.sent('m4', 0, 'a', 'X5', 2005);
  store.failed('m4', 1, { reason: 'no link may carry this smsc-id any more' }, 2006);
  store.addPost({ key: 'p1', url: 'http://app.example/dlr?type=8', createdAt: 2007 });
  store.addPost({ key: 'p2', url: 'http://app.example/dlr?type=1', createdAt: 2008 });
  store.posted('p1');
}

test('accepted messages, outcomes, receipt waits and DLR URLs come back the same after a reopen', async (t) => {
  const { store, dir } = await openStore(t);
  await busyStore(store);
  const before = stateOf(store);
  t.deepEqual([...store.open.keys()], ['m1']);
  t.deepEqual([...store.waits.keys()], [keyOf('a', 'X1'), keyOf('a', 'X5')]);
  t.deepEqual([...store.posts.keys()], ['p2']);
  await store.close();
  const { store: reopened } = await openStore(t, dir);
  t.deepEqual(stateOf(reopened), before);
});

test('parts neither acknowledged nor refused are what a reopened store still has to send', async (t) => {
  const { store, dir } = await openStore(t);
  await store.accept(message('m', 4));
  store.sent('m', 1, 'a', 'X', 1);
  store.failed('m', 3, { status: 0x0b, reason: 'invalid destination' }, 2);
  await store.close();
  const { store: reopened } = await openStore(t, dir);
  const outcomes = reopened.open.get('m')?.outcomes ?? [];
  t.deepEqual(outcomes.flatMap((outcome, part) => (outcome === undefined ? [part] : [])), [0, 2]);
  t.deepEqual(outcomes[3], { kind: 'failed', status: 0x0b, reason: 'invalid destination', at: 2 });
});

test('a message leaves the open ones when its last part is answered, with every part\'s outcome', async (t) => {
  const { store } = await openStore(t);
  await store.accept(message('m', 3));
  t.deepEqual(store.sent('m', 2, 'a', 'X2', 10), {});
  t.deepEqual(store.failed('m', 0, { status: 0x45, reason: 'submit failed' }, 11), {});
  t.true(store.open.has('m'));
  const effect = store.sent('m', 1, 'b', 'X1', 12);
  t.false(store.open.has('m'));
  t.deepEqual(effect.completed, [
    { kind: 'failed', status: 0x45, reason: 'submit failed', at: 11 },
    { kind: 'sent', link: 'b', mid: 'X1', at: 12 },
    { kind: 'sent', link: 'a', mid: 'X2', at: 10 },
  ]);
});

test('an outcome for a message that is no longer open changes nothing', async (t) => {
  const { store } = await openStore(t);
  await store.accept(message('m', 1, wantsDelivery));
  store.sent('m', 0, 'a', 'X', 10);
  t.deepEqual(store.sent('m', 0, 'a', 'Y', 11), {});
  t.deepEqual(store.failed('unknown', 0, { reason: 'x' }, 12), {});
  t.deepEqual([...store.waits.keys()], [keyOf('a', 'X')]);
});

const awaits = test.macro({
  async exec(t, change: Partial<StoredMessage>, part: number, mid: string, expected: boolean) {
    const { store } = await openStore(t);
    const stored = message('m', 2, change);
    await store.accept(stored);
    const effect = store.sent('m', part, 'a', mid, 10);
    t.is(effect.wait !== undefined, expected);
    t.is(store.waits.size, expected ? 1 : 0);
    if (expected) {
      const { parts: _parts, ...rest } = stored;
      t.deepEqual(effect.wait, { key: keyOf('a', mid), messageId: 'm', part, link: 'a', smscMessageId: mid, submittedAt: 10, message: rest });
    }
  },
  title: (given, _change, _part, _mid, expected: boolean) => `${given}: a receipt is ${expected ? '' : 'not '}awaited`,
});

test('part 0 of a message that asks for delivery', awaits, wantsDelivery, 0, 'X', true);
test('part 1 of a message that asks for delivery (sms_split() asks on the first part only)', awaits, wantsDelivery, 1, 'X', false);
test('part 0 of a message that asks for buffered reports only', awaits, { dlrUrl: 'http://x/', dlrMask: 4 }, 0, 'X', true);
test('part 0 of a message that asks for the SMSC\'s ack and nack only', awaits, { dlrUrl: 'http://x/', dlrMask: 8 + 16 }, 0, 'X', false);
test('part 0 of a message with a dlr-mask but no dlr-url', awaits, { dlrMask: 1 }, 0, 'X', false);
test('part 0 acknowledged without a message id', awaits, wantsDelivery, 0, '', false);

test('expireWaits drops the waits submitted before the cutoff, for good', async (t) => {
  const { store, dir } = await openStore(t);
  for (const [id, at] of [['old', 1000], ['edge', 2000], ['new', 3000]] as const) {
    await store.accept(message(id, 1, wantsDelivery));
    store.sent(id, 0, 'a', id, at);
  }
  t.is(store.expireWaits(2000).length, 1);
  t.deepEqual([...store.waits.keys()], [keyOf('a', 'edge'), keyOf('a', 'new')]);
  t.is(store.expireWaits(2000).length, 0);
  await store.close();
  const { store: reopened } = await openStore(t, dir);
  t.deepEqual([...reopened.waits.keys()], [keyOf('a', 'edge'), keyOf('a', 'new')]);
});

test('compaction rewrites the journal with exactly the live state', async (t) => {
  const { store, dir, path } = await openStore(t, undefined, 0);
  await busyStore(store);
  for (let index = 0; index < 50; index += 1) {
    await store.accept(message(`done${index}`, 1, wantsDelivery));
    store.sent(`done${index}`, 0, 'a', `D${index}`, 3000);
    store.receiptDone(keyOf('a', `D${index}`));
  }
  const before = stateOf(store);
  const sizeBefore = store.size;
  t.true(await store.compactIfLarge());
  t.true(store.size < sizeBefore);
  const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
  t.is(lines.length, store.liveRecords().length);
  t.deepEqual(stateOf(store), before);
  await store.close();
  const { store: reopened } = await openStore(t, dir);
  t.deepEqual(stateOf(reopened), before);
});

test('compaction keeps a receipt that came, or a wait that expired, for a message whose other parts are still to go', async (t) => {
  const { store, dir } = await openStore(t, undefined, 0);
  await store.accept(message('received', 2, wantsDelivery));
  store.sent('received', 0, 'a', 'R', 1000);
  store.receiptDone(keyOf('a', 'R'));
  await store.accept(message('expired', 2, wantsDelivery));
  store.sent('expired', 0, 'a', 'E', 1000);
  t.is(store.expireWaits(2000).length, 1);
  await store.accept(message('waiting', 2, wantsDelivery));
  store.sent('waiting', 0, 'a', 'W', 3000);
  const before = stateOf(store);
  t.deepEqual([...store.waits.keys()], [keyOf('a', 'W')]);
  await store.compactIfLarge();
  await store.close();
  const { store: reopened } = await openStore(t, dir);
  t.deepEqual(stateOf(reopened), before);
});

test('compactIfLarge leaves a journal below the threshold alone', async (t) => {
  const { store } = await openStore(t, undefined, 1 << 20);
  await busyStore(store);
  const size = store.size;
  t.false(await store.compactIfLarge());
  t.is(store.size, size);
});

test('records written after a compaction are replayed on top of it', async (t) => {
  const { store, dir } = await openStore(t, undefined, 0);
  await busyStore(store);
  await store.compactIfLarge();
  store.sent('m1', 1, 'a', 'X6', 4000);
  store.posted('p2');
  const before = stateOf(store);
  t.deepEqual(before.open, []);
  t.deepEqual(before.posts, []);
  await store.close();
  const { store: reopened } = await openStore(t, dir);
  t.deepEqual(stateOf(reopened), before);
});

test('a record of the wrong shape and a damaged line are quarantined at load, in one log line, counted in the state; the rest replays', async (t) => {
  const { store, path } = await openStore(t);
  await store.accept(message('m1', 2));
  await store.accept(message('m2', 1));
  store.sent('m1', 0, 'a', 'X', 10);
  await store.close();
  const lines = (await readFile(path, 'latin1')).split(/(?<=\n)/);
  const wrongShape = encodeLine({ t: 'accept', m: { id: 'm3' } }).toString('latin1');
  const flipped = lines[1]!.replace('m2', 'm9');
  await writeFile(path, [lines[0], flipped, wrongShape, lines[2]].join(''), 'latin1');
  const log = createMemoryLog();
  const reopened = await MessageStore.load({ path, keyOf, wantsReceipt: Receipts.wantsReceipt, log, sync: false });
  t.teardown(() => reopened.close());
  t.deepEqual([...reopened.open.keys()], ['m1']);
  t.like(reopened.open.get('m1')?.outcomes[0], { kind: 'sent', mid: 'X' });
  t.like(reopened.state, { state: 'writable', quarantined: 2, quarantineFile: `${path}.quarantine` });
  t.deepEqual(log.lines, [`warn: 2 lines quarantined to ${path}.quarantine: 2 damaged lines of ${path} (line 2: checksum mismatch; line 3: wrong shape: accept.m.user is not a string); every other record is kept`]);
});
