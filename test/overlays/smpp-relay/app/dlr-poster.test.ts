import test, { type ExecutionContext } from 'ava';
import { createMemoryLog } from '../../../../overlays/service-log.js';
import { DlrPoster } from '../../../../overlays/smpp-relay/app/dlr-poster.js';
import type { PendingPost } from '../../../../overlays/smpp-relay/app/store.js';

/**
 * setTimeout and clearTimeout replaced for the test, so the poster's back-off runs when the
 * test says; every test here is serial for that reason.
 */
function fakeTimeouts(t: ExecutionContext): { delays(): number[]; fire(): Promise<void> } {
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const pending = new Map<number, { delay: number; callback: () => void }>();
  let next = 1;
  globalThis.setTimeout = ((callback: () => void, delay: number) => {
    const id = next++;
    pending.set(id, { delay, callback });
    return id;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id: number) => pending.delete(id)) as unknown as typeof clearTimeout;
  t.teardown(() => Object.assign(globalThis, real));
  return {
    delays: () => [...pending.values()].map((timer) => timer.delay),
    /** Runs every timer due now, then lets the fetches they start answer. */
    fire: async () => {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, timer] of due) timer.callback();
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}

/** A fetch that answers from a script: a status, or an Error to throw. */
function scriptedFetch(script: (number | Error)[]) {
  const calls: { url: string; signal: AbortSignal | undefined }[] = [];
  const fetch = (async (url: string, init?: RequestInit) => {
    calls.push({ url, signal: init?.signal ?? undefined });
    const next = script.shift() ?? 200;
    if (next instanceof Error) throw next;
    return new Response(next === 204 ? null : 'ok', { status: next });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const POST: PendingPost = { key: 'k1', url: 'http://app.example/dlr?type=8', createdAt: 0 };

function poster(script: (number | Error)[]) {
  const done: string[] = [];
  const log = createMemoryLog();
  const { fetch, calls } = scriptedFetch(script);
  return { poster: new DlrPoster({ done: (key) => done.push(key), log, fetch }), done, calls, log };
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const final = test.macro({
  async exec(t, status: number) {
    const timers = fakeTimeouts(t);
    const { poster: dlr, done, calls } = poster([status]);
    dlr.post(POST);
    t.is(dlr.pending, 1);
    await settled();
    t.deepEqual(done, ['k1']);
    t.is(calls.length, 1);
    t.deepEqual(timers.delays(), []);
    t.is(dlr.pending, 0);
    t.deepEqual(dlr.counters, { fetched: 1, retried: 0, failed: 0 });
  },
  title: (_given, status: number) => `an HTTP ${status} answer ends the post after one try`,
});

test.serial(final, 200);
test.serial(final, 204);
test.serial(final, 302);
test.serial(final, 404);

test.serial('a 4xx answer is logged as not worth another try', async (t) => {
  fakeTimeouts(t);
  const { poster: dlr, log } = poster([403]);
  dlr.post(POST);
  await settled();
  t.deepEqual(log.lines, [`warn: DLR URL answered 403, not trying again: ${POST.url}`]);
});

const retried = test.macro({
  async exec(t, failure: number | Error) {
    const timers = fakeTimeouts(t);
    const { poster: dlr, done, calls } = poster([failure, failure, 200]);
    dlr.post(POST);
    await settled();
    t.deepEqual(done, []);
    t.deepEqual(timers.delays(), [1000]);
    t.is(dlr.pending, 1);
    await timers.fire();
    t.deepEqual(timers.delays(), [2000]);
    await timers.fire();
    t.deepEqual(done, ['k1']);
    t.is(calls.length, 3);
    t.true(calls.every((call) => call.url === POST.url && call.signal instanceof AbortSignal));
    t.deepEqual(dlr.counters, { fetched: 1, retried: 2, failed: 0 });
    t.is(dlr.pending, 0);
  },
  title: (_given, failure: number | Error) => `${failure instanceof Error ? 'a network error' : `an HTTP ${failure}`} is tried again after 1 s, then 2 s`,
});

test.serial(retried, 500);
test.serial(retried, 503);
test.serial(retried, new TypeError('fetch failed'));

test.serial('a post is given up after ten tries, the waits doubling from 1 s', async (t) => {
  const timers = fakeTimeouts(t);
  const { poster: dlr, done, calls, log } = poster(Array.from({ length: 12 }, () => 502));
  dlr.post(POST);
  await settled();
  const delays: number[] = [];
  while (timers.delays().length > 0) {
    delays.push(...timers.delays());
    await timers.fire();
  }
  t.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000]);
  t.is(calls.length, 10);
  t.deepEqual(done, ['k1'], 'a given-up post leaves the store too');
  t.deepEqual(dlr.counters, { fetched: 0, retried: 9, failed: 1 });
  t.deepEqual(log.lines, [`warn: DLR URL given up after 10 tries (HTTP 502): ${POST.url}`]);
});

test.serial('stop() leaves a post waiting for its retry pending in the store, and takes no new ones', async (t) => {
  const timers = fakeTimeouts(t);
  const { poster: dlr, done, calls } = poster([500]);
  dlr.post(POST);
  await settled();
  t.deepEqual(timers.delays(), [1000]);
  await dlr.stop();
  t.deepEqual(timers.delays(), []);
  t.is(dlr.pending, 0);
  dlr.post({ ...POST, key: 'k2' });
  await settled();
  t.is(calls.length, 1);
  t.deepEqual(done, []);
});

test.serial('stop() waits for a fetch under way', async (t) => {
  const timers = fakeTimeouts(t);
  let answer: (response: Response) => void = () => undefined;
  const dlr = new DlrPoster({ done: () => undefined, log: createMemoryLog(), fetch: (() => new Promise<Response>((resolve) => (answer = resolve))) as typeof fetch });
  dlr.post(POST);
  let stopped = false;
  const stopping = dlr.stop().then(() => (stopped = true));
  await settled();
  t.false(stopped);
  answer(new Response('no', { status: 503 }));
  await stopping;
  t.deepEqual(timers.delays(), [], 'and schedules no retry after it');
  t.is(dlr.pending, 0);
});
