import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import type { PartJob } from '../../../../overlays/smpp-relay/app/dispatcher.js';
import { Receipts } from '../../../../overlays/smpp-relay/app/receipts.js';
import { MessageStore, type PendingPost, type StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
import type { DeliverSm, LinkSettings } from '../../../../overlays/smpp-relay/app/types.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { linkSettings } from './smpp-link-fixtures.js';
import { storedMessage } from './message-fixtures.js';

/** Two binds sharing smsc-id "carrier" (active-active), one of its own, one with msg-id-type 1. */
const LINKS: LinkSettings[] = [
  linkSettings(2775, { name: 'a1', smscId: 'carrier', systemId: 'sys1' }),
  linkSettings(2775, { name: 'a2', smscId: 'carrier', systemId: 'sys2' }),
  linkSettings(2775, { name: 'other', smscId: 'other', systemId: 'sys3' }),
  linkSettings(2775, { name: 'typed', smscId: 'typed', systemId: 'sys4', msgIdType: 1 }),
];
const link = (name: string) => LINKS.find((candidate) => candidate.name === name)!;

const DLR_URL = 'http://app.example/dlr?type=%d&text=%A&id=%I&smsc=%i&from=%P&to=%p&svc=%n&mid=%F&acct=%o&at=%T';
const NOW = Date.UTC(2024, 0, 31, 12, 0, 0);

interface Setup {
  receipts: Receipts;
  store: MessageStore;
  posts: PendingPost[];
  log: ReturnType<typeof createMemoryLog>;
  dir: string;
  /** Moves the receipts' clock on. */
  advance(ms: number): void;
}

async function setUp(t: ExecutionContext, dir?: string): Promise<Setup> {
  const where = dir ?? (await makeTempDir(t, 'mcdebian-receipts-'));
  const log = createMemoryLog();
  let now = NOW;
  const receipts = new Receipts({ links: LINKS, log, now: () => now });
  const store = await MessageStore.load({ path: join(where, 'journal'), keyOf: receipts.keyOf, wantsReceipt: Receipts.wantsReceipt, log, sync: false });
  t.teardown(() => store.close().catch(() => undefined));
  receipts.attach(store);
  const posts: PendingPost[] = [];
  receipts.onPost = (post) => {
    t.true(store.posts.has(post.key), 'a DLR URL is in the store before it is fetched');
    posts.push(post);
  };
  return { receipts, store, posts, log, dir: where, advance: (ms) => { now += ms; } };
}

function message(id: string, parts: number, dlrMask: number, change: Partial<StoredMessage> = {}): StoredMessage {
  return storedMessage(id, parts, { userName: 'Shop', smscId: 'carrier', dlrMask, dlrUrl: DLR_URL, acceptedAt: NOW, ...change });
}

const job = (stored: StoredMessage, part: number): PartJob => ({ message: stored, part, attempts: 0 });

function deliver(on: string, text: string, esmClass = 0x04): DeliverSm {
  return { link: on, sourceAddr: '358401234567', destinationAddr: 'McDebian', esmClass, dataCoding: 0, shortMessage: Buffer.from(text, 'latin1'), tlvs: {} };
}

const receipt = (id: string, stat: string) => `id:${id} sub:001 dlvrd:001 submit date:2401311200 done date:2401311201 stat:${stat} err:000 text:hello`;

/** The query of each DLR URL posted, as an object. */
const queries = (posts: readonly PendingPost[]) => posts.map((post) => Object.fromEntries(new URL(post.url).searchParams));

test('the SMSC\'s ack is posted once, when every part of the message is acknowledged, with Kannel\'s escapes', async (t) => {
  const { receipts, store, posts } = await setUp(t);
  const stored = message('m', 3, 8);
  await store.accept(stored);
  receipts.sent(job(stored, 0), link('a1'), 'X0');
  receipts.sent(job(stored, 2), link('a1'), 'X2');
  t.deepEqual(posts, []);
  receipts.sent(job(stored, 1), link('a2'), 'X1');
  t.deepEqual(queries(posts), [{ type: '8', text: 'ACK/', id: 'm', smsc: 'carrier', from: 'McDebian', to: '358401234567', svc: 'Shop', mid: '', acct: '', at: String(NOW / 1000) }]);
  t.regex(posts[0]!.url, /&text=ACK%2F&/);
  t.deepEqual([...store.posts.values()], posts);
  t.is(store.waits.size, 0, 'dlr-mask 8 asks the SMSC for no receipt');
});

type Outcome = { sent: string } | { failed: number | string };

const answers = test.macro({
  async exec(t, dlrMask: number, outcomes: Outcome[], expected: { type: string; text: string; smsc: string }[]) {
    const { receipts, store, posts } = await setUp(t);
    const stored = message('m', outcomes.length, dlrMask);
    await store.accept(stored);
    outcomes.forEach((outcome, part) => {
      if ('sent' in outcome) receipts.sent(job(stored, part), link('a1'), outcome.sent);
      else if (typeof outcome.failed === 'number') receipts.failed(job(stored, part), { status: outcome.failed, reason: 'refused', link: { settings: link('other') } });
      else receipts.failed(job(stored, part), { reason: outcome.failed });
    });
    t.deepEqual(queries(posts).map(({ type, text, smsc }) => ({ type, text, smsc })), expected);
  },
  title: (given, dlrMask: number) => `dlr-mask ${dlrMask}, ${given}`,
});

test('one part refused: the nack names the SMPP status and the smsc-id of the link that refused it', answers, 16, [{ failed: 0x45 }], [{ type: '16', text: 'NACK/0x00000045/Submit failed', smsc: 'other' }]);
test('one part of two refused: one nack for the message, without a reason (handle_split())', answers, 16, [{ sent: 'X0' }, { failed: 0x45 }], [{ type: '16', text: 'NACK/', smsc: 'other' }]);
test('a part failed without a link (Kannel\'s own reason): the nack carries the reason and the message\'s smsc-id, not a link\'s', answers, 16, [{ failed: 'Retries Exceeded' }], [{ type: '16', text: 'NACK/Retries Exceeded', smsc: 'carrier' }]);
test('the nack also goes to a mask asking for failed deliveries (bb_smscconn_send_failed(), DLR_IS_FAIL)', answers, 2, [{ failed: 0x0b }], [{ type: '16', text: 'NACK/0x0000000b/Invalid Destination Address', smsc: 'other' }]);
test('the nack also goes to a mask asking for expired ones (0x20 is in DLR_IS_FAIL)', answers, 32, [{ failed: 0x0b }], [{ type: '16', text: 'NACK/0x0000000b/Invalid Destination Address', smsc: 'other' }]);
test('the nack also goes to a mask asking for unknown ones (0x40 is in DLR_IS_FAIL)', answers, 64, [{ failed: 0x0b }], [{ type: '16', text: 'NACK/0x0000000b/Invalid Destination Address', smsc: 'other' }]);
test('no nack for a mask asking only for the ack', answers, 8, [{ failed: 0x45 }], []);
test('no nack for a mask asking only for delivery', answers, 1, [{ failed: 0x45 }], []);
test('all parts acknowledged: an ack and no nack', answers, 8 + 16, [{ sent: 'X0' }, { sent: 'X1' }], [{ type: '8', text: 'ACK/', smsc: 'carrier' }]);
test('all parts acknowledged: nothing for a mask asking for the nack only', answers, 16, [{ sent: 'X0' }], []);

test('the phone\'s receipt is matched by the link\'s smsc-id and the SMSC\'s id, hex in submit_sm_resp and decimal in the receipt, on any bind of that smsc-id', async (t) => {
  const { receipts, store, posts } = await setUp(t);
  const stored = message('m', 2, 1 + 2);
  await store.accept(stored);
  receipts.sent(job(stored, 0), link('a1'), '1A2B');
  receipts.sent(job(stored, 1), link('a1'), '1A2C');
  t.is(store.waits.size, 1, 'only the first part asks for a receipt');
  const text = receipt('6699', 'DELIVRD');
  receipts.deliver(deliver('a2', text));
  t.deepEqual(queries(posts), [{ type: '1', text, id: 'm', smsc: 'carrier', from: 'McDebian', to: '358401234567', svc: 'Shop', mid: '1A2B', acct: 'sys2', at: String(NOW / 1000) }]);
  t.is(store.waits.size, 0);
  t.deepEqual(receipts.counters, { received: 1, unmatched: 0, mo: 0 });
});

test('a receipt on a link of another smsc-id does not match, and is counted once it has waited 10 s for its message', async (t) => {
  const { receipts, store, posts, log, advance } = await setUp(t);
  const stored = message('m', 1, 1);
  await store.accept(stored);
  receipts.sent(job(stored, 0), link('a1'), '1A2B');
  receipts.deliver(deliver('other', receipt('1A2B', 'DELIVRD')));
  receipts.deliver(deliver('a1', receipt('999', 'DELIVRD')));
  t.is(receipts.counters.unmatched, 0, 'held for a submit_sm_resp still to come');
  advance(10_001);
  receipts.expire(0);
  t.deepEqual(posts, []);
  t.is(store.waits.size, 1);
  t.deepEqual(receipts.counters, { received: 2, unmatched: 2, mo: 0 });
  t.true(log.lines.some((line) => line.startsWith('warn: link other: a receipt for SMSC message id 1A2B matches no message')));
});

test('with msg-id-type 1 the hex id of submit_sm_resp meets the decimal id of the receipt', async (t) => {
  const { receipts, store, posts } = await setUp(t);
  const stored = message('m', 1, 1, { smscId: 'typed' });
  await store.accept(stored);
  receipts.sent(job(stored, 0), link('typed'), '1A');
  receipts.deliver(deliver('typed', receipt('26', 'DELIVRD')));
  t.is(queries(posts)[0]?.mid, '1A');
  t.is(store.waits.size, 0);
});

test('an exact id wins over another message\'s id that only reads the same as hex', async (t) => {
  const { receipts, store, posts } = await setUp(t);
  const ten = message('ten', 1, 1 + 2);
  const sixteen = message('sixteen', 1, 1 + 2);
  await store.accept(ten);
  await store.accept(sixteen);
  receipts.sent(job(ten, 0), link('a1'), '10'); // "10" read as hex is 16
  receipts.sent(job(sixteen, 0), link('a1'), '16');
  receipts.deliver(deliver('a1', receipt('16', 'DELIVRD')));
  receipts.deliver(deliver('a1', receipt('10', 'UNDELIV')));
  t.deepEqual(queries(posts).map(({ id, type }) => ({ id, type })), [{ id: 'sixteen', type: '1' }, { id: 'ten', type: '2' }]);
  t.is(receipts.counters.unmatched, 0);
  t.is(store.waits.size, 0);
});

test('an intermediate receipt is posted and keeps the wait when the final one is asked for', async (t) => {
  const { receipts, store, posts, advance } = await setUp(t);
  const stored = message('m', 1, 1 + 2 + 4);
  await store.accept(stored);
  receipts.sent(job(stored, 0), link('a1'), 'X');
  receipts.deliver(deliver('a1', receipt('X', 'ENROUTE')));
  receipts.deliver(deliver('a1', receipt('X', 'ACCEPTD')));
  t.is(store.waits.size, 1);
  receipts.deliver(deliver('a1', receipt('X', 'DELIVRD')));
  t.is(store.waits.size, 0);
  receipts.deliver(deliver('a1', receipt('X', 'DELIVRD')));
  advance(10_001);
  receipts.expire(0);
  t.deepEqual(queries(posts).map(({ type }) => type), ['4', '4', '1']);
  t.deepEqual(receipts.counters, { received: 4, unmatched: 1, mo: 0 });
});

test('a receipt that comes before its submit_sm_resp is handled is matched when it is', async (t) => {
  const { receipts, store, posts } = await setUp(t);
  const stored = message('m', 1, 1);
  await store.accept(stored);
  receipts.deliver(deliver('a1', receipt('77', 'DELIVRD')));
  t.deepEqual(posts, []);
  receipts.sent(job(stored, 0), link('a1'), '77');
  t.deepEqual(queries(posts).map(({ id, type }) => ({ id, type })), [{ id: 'm', type: '1' }]);
  t.is(store.waits.size, 0);
  t.is(receipts.counters.unmatched, 0);
});

const phoneReceipts = test.macro({
  async exec(t, dlrMask: number, stat: string, posted: string[], waitEnds: boolean) {
    const { receipts, store, posts } = await setUp(t);
    const stored = message('m', 1, dlrMask);
    await store.accept(stored);
    receipts.sent(job(stored, 0), link('a1'), 'X');
    receipts.deliver(deliver('a1', receipt('X', stat)));
    t.deepEqual(queries(posts).map(({ type }) => type), posted);
    t.is(store.waits.size, waitEnds ? 0 : 1);
  },
  title: (_given, dlrMask: number, stat: string, posted: string[], waitEnds: boolean) =>
    `with dlr-mask ${dlrMask} a ${stat} receipt is ${posted.length > 0 ? `posted as type ${posted.join()}` : 'not posted'} and ${waitEnds ? 'ends' : 'keeps'} the wait`,
});

test(phoneReceipts, 4, 'ACCEPTD', ['4'], true);
test(phoneReceipts, 2, 'DELIVRD', [], true);
test(phoneReceipts, 2, 'UNDELIV', ['2'], true);
test(phoneReceipts, 1, 'UNDELIV', [], true);
test(phoneReceipts, 1, 'ENROUTE', [], false);
test(phoneReceipts, 3, 'EXPIRED', ['2'], true);

test('a deliver_sm that is not a receipt is counted as a message from a phone, and not relayed', async (t) => {
  const { receipts, posts, log } = await setUp(t);
  receipts.deliver(deliver('a1', 'hello there', 0));
  t.deepEqual(posts, []);
  t.deepEqual(receipts.counters, { received: 0, unmatched: 0, mo: 1 });
  t.true(log.lines.some((line) => line.includes('does not deliver phone-originated messages')));
});

test('waits replayed from the store are matched after a restart, hex against decimal too', async (t) => {
  const first = await setUp(t);
  const stored = message('m', 1, 1);
  await first.store.accept(stored);
  first.receipts.sent(job(stored, 0), link('a1'), '1A2B');
  await first.store.close();
  const second = await setUp(t, first.dir);
  second.receipts.deliver(deliver('a1', receipt('6699', 'DELIVRD')));
  t.deepEqual(queries(second.posts).map(({ id, mid }) => ({ id, mid })), [{ id: 'm', mid: '1A2B' }]);
});

test('Receipts.wantsReceipt: only the first part, only with a dlr-url and a mask asking the phone', (t) => {
  t.true(Receipts.wantsReceipt(message('m', 2, 1), 0));
  t.false(Receipts.wantsReceipt(message('m', 2, 1), 1));
  t.false(Receipts.wantsReceipt(message('m', 1, 8 + 16), 0));
  t.false(Receipts.wantsReceipt(message('m', 1, 1, { dlrUrl: undefined }), 0));
});
