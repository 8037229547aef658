import test from 'ava';
import type { Worker } from 'node:cluster';
import { Admission } from '../../../../overlays/vote-backend/app/admission.js';
import { PrimaryChannel, WorkerChannel } from '../../../../overlays/vote-backend/app/cluster-channel.js';
import { emptySnapshot, type MetricsSnapshot } from '../../../../overlays/vote-backend/app/metrics.js';

const LIMITS = { perVoter: { max: 1, windowSeconds: 60 }, perAddress: null, idempotencyWindowSeconds: 60 };

const snapshotWith = (change: Partial<MetricsSnapshot>): MetricsSnapshot => ({ ...emptySnapshot(), workers: 1, ...change });

/** A cluster Worker as the primary sees it: what it was sent, and whether it is connected. */
function fakeWorker(connected = true): Worker & { sent: unknown[] } {
  const sent: unknown[] = [];
  return { sent, send: (message: unknown) => sent.push(message), isConnected: () => connected } as unknown as Worker & { sent: unknown[] };
}

test('a worker still starting answers the primary\'s snapshot request as one starting worker, without throwing', (t) => {
  const sent: unknown[] = [];
  const channel = new WorkerChannel(() => undefined, (message) => sent.push(message));
  t.true(channel.receive({ vote: 'snapshot?', id: 7 }));
  t.deepEqual(sent, [{ vote: 'snapshot', id: 7, snapshot: { ...emptySnapshot(), workers: 1, starting: 1 } }]);
});

test('a started worker answers the primary\'s snapshot request with its own numbers', (t) => {
  const sent: unknown[] = [];
  const channel = new WorkerChannel(() => snapshotWith({ accepted: 12 }), (message) => sent.push(message));
  channel.receive({ vote: 'snapshot?', id: 3 });
  t.deepEqual(sent, [{ vote: 'snapshot', id: 3, snapshot: snapshotWith({ accepted: 12 }) }]);
});

test('a worker sends every admission question of one turn in one message and settles each from the answer', async (t) => {
  const sent: { vote: string; batch?: [number, unknown][] }[] = [];
  const channel = new WorkerChannel(() => undefined, (message) => sent.push(message as never));
  const first = channel.admit({ address: '192.0.2.1', fingerprint: 'a' });
  const second = channel.admit({ address: '192.0.2.2', fingerprint: 'b' });
  await new Promise((resolve) => setImmediate(resolve));
  t.is(sent.length, 1);
  const [ids] = [sent[0]!.batch!.map(([id]) => id)];
  channel.receive({ vote: 'admitted', batch: [[ids[1], { ok: false, reason: 'address_limit', retryAfterSeconds: 5 }], [ids[0], { ok: true, duplicate: false }]] });
  t.deepEqual(await first, { ok: true, duplicate: false });
  t.deepEqual(await second, { ok: false, reason: 'address_limit', retryAfterSeconds: 5 });
});

test('messages that are not the channel\'s are left to others', (t) => {
  const channel = new WorkerChannel(() => undefined, () => t.fail('nothing may be sent'));
  for (const message of [null, 'text', { vote: 1 }, { vote: 'other' }]) t.false(channel.receive(message));
});

test('the primary answers admission from its one Admission, whichever worker asks', (t) => {
  const primary = new PrimaryChannel(new Admission(LIMITS), () => [], () => 1_000_000);
  const [one, two] = [fakeWorker(), fakeWorker()];
  const request = { address: '192.0.2.1', voter: 'p\0alice', fingerprint: 'p\0a\0alice' };
  primary.receive(one, { vote: 'admit', batch: [[1, request]] });
  primary.receive(two, { vote: 'admit', batch: [[1, request]] });
  t.deepEqual(one.sent, [{ vote: 'admitted', batch: [[1, { ok: true, duplicate: false }]] }]);
  t.like((two.sent[0] as { batch: [number, { ok: boolean; reason: string }][] }).batch[0]![1], { ok: false, reason: 'voter_limit' });
});

test('the primary gathers a snapshot from every connected worker and hands them to the one that asked', (t) => {
  const asker = fakeWorker();
  const other = fakeWorker();
  const gone = fakeWorker(false);
  const primary = new PrimaryChannel(new Admission(LIMITS), () => [asker, other, gone].map((worker) => ({ worker, started: true })));
  primary.receive(asker, { vote: 'gather', id: 42 });
  t.is(gone.sent.length, 0);
  const { id } = other.sent[0] as { id: number };
  t.deepEqual(asker.sent, [{ vote: 'snapshot?', id }]);
  primary.receive(asker, { vote: 'snapshot', id, snapshot: snapshotWith({ accepted: 1 }) });
  primary.receive(other, { vote: 'snapshot', id, snapshot: { ...snapshotWith({}), starting: 1 } });
  t.deepEqual(asker.sent.at(-1), { vote: 'gathered', id: 42, snapshots: [snapshotWith({ accepted: 1 }), { ...snapshotWith({}), starting: 1 }] });
});

test('the primary counts a worker that has not started listening as starting, without asking it and without waiting for it', (t) => {
  const asker = fakeWorker();
  const starting = fakeWorker();
  const primary = new PrimaryChannel(new Admission(LIMITS), () => [{ worker: asker, started: true }, { worker: starting, started: false }]);
  primary.receive(asker, { vote: 'gather', id: 5 });
  t.deepEqual(starting.sent, [], 'a worker reading its journal is not asked');
  const { id } = asker.sent[0] as { id: number };
  primary.receive(asker, { vote: 'snapshot', id, snapshot: snapshotWith({ accepted: 2 }) });
  t.deepEqual(asker.sent.at(-1), { vote: 'gathered', id: 5, snapshots: [{ ...emptySnapshot(), workers: 1, starting: 1 }, snapshotWith({ accepted: 2 })] });
});
