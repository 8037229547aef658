import test, { type ExecutionContext } from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { discardBody, DlrPoster, MAX_AGE_MS } from '../../../../overlays/smpp-relay/app/dlr-poster.js';
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

const POST: PendingPost = { key: 'k1', url: 'http://app.example/dlr?type=8', createdAt: 1_700_000_000_000 };

function poster(script: (number | Error)[]) {
  const done: string[] = [];
  const log = createMemoryLog();
  const { fetch, calls } = scriptedFetch(script);
  return { poster: new DlrPoster({ done: (key) => done.push(key), log, fetch, now: () => POST.createdAt + 1000 }), done, calls, log };
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
  const dlr = new DlrPoster({ done: () => undefined, log: createMemoryLog(), now: () => POST.createdAt, fetch: (() => new Promise<Response>((resolve) => (answer = resolve))) as typeof fetch });
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

/** A DLR server on loopback that answers 200 and streams its body until the client goes (or `limit` octets). */
async function streamingServer(t: ExecutionContext, limit: number) {
  const seen = { written: 0, closedByClient: false, ended: false };
  let closed: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (closed = resolve));
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.on('close', () => {
      seen.closedByClient = !seen.ended;
      closed();
    });
    const pump = () => {
      while (seen.written < limit) {
        seen.written += chunk.length;
        if (!response.write(chunk)) return void response.once('drain', pump);
      }
      seen.ended = true;
      response.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dlr`, seen, gone };
}

test('an answer that streams without end is read to 64 KiB and the connection closed: the relay\'s memory stays bounded', async (t) => {
  // 256 MiB is where this server gives up; reading it all is what the relay must not do
  const server = await streamingServer(t, 256 * 1024 * 1024);
  const done: string[] = [];
  const dlr = new DlrPoster({ done: (key) => done.push(key), log: createMemoryLog(), timeoutMs: 120_000 });
  dlr.post({ key: 'stream', url: server.url, createdAt: Date.now() });
  await server.gone;
  await dlr.stop();
  t.true(server.seen.closedByClient, 'the relay closed the connection before the body ended');
  t.true(server.seen.written < 32 * 1024 * 1024, `${server.seen.written} octets written before the relay closed it (socket buffers included)`);
  t.deepEqual(done, ['stream'], 'the 200 counts: the post is done');
  t.deepEqual(dlr.counters, { fetched: 1, retried: 0, failed: 0 });
});

test('discardBody() reads at most its limit and cancels the stream', async (t) => {
  let pulled = 0;
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull: (controller) => {
      pulled += 1;
      controller.enqueue(new Uint8Array(1000));
    },
    cancel: () => {
      cancelled = true;
    },
  });
  t.is(await discardBody(endless, 10_000), 10_000);
  t.true(cancelled);
  t.true(pulled <= 12, `${pulled} chunks pulled`);
  t.is(await discardBody(null), 0);
});

const unusable = test.macro({
  async exec(t, url: string, problem: string) {
    fakeTimeouts(t);
    const { poster: dlr, done, calls, log } = poster([200]);
    dlr.post({ ...POST, url });
    await settled();
    t.is(calls.length, 0, 'not fetched');
    t.deepEqual(done, ['k1'], 'and gone from the store');
    t.deepEqual(log.lines, [`warn: DLR URL given up at once: the URL ${problem}: ${url}`]);
    t.deepEqual(dlr.counters, { fetched: 0, retried: 0, failed: 1 });
  },
  title: (_given, url: string) => `a stored post to ${JSON.stringify(url)} is dropped at once, not tried`,
});

test.serial(unusable, 'http:///', 'is not an absolute URL with a host');
test.serial(unusable, 'ftp://app.example/dlr', 'is ftp: not http: or https:');
test.serial(unusable, '/dlr?type=1', 'is not an absolute URL with a host');

test.serial('a post older than an hour is given up before its next try, even one carried over a restart', async (t) => {
  const timers = fakeTimeouts(t);
  const clock = { now: POST.createdAt + MAX_AGE_MS - 1500 };
  const done: string[] = [];
  const log = createMemoryLog();
  const { fetch, calls } = scriptedFetch([503, 503, 503]);
  const dlr = new DlrPoster({ done: (key) => done.push(key), log, fetch, now: () => clock.now });
  dlr.post(POST);
  await settled();
  t.is(calls.length, 1, 'tried while younger than an hour');
  clock.now += 1000;
  await timers.fire();
  t.is(calls.length, 2);
  clock.now += 2000;
  await timers.fire();
  t.is(calls.length, 2, 'not tried again once older');
  t.deepEqual(done, ['k1']);
  t.deepEqual(log.lines, [`warn: DLR URL given up after 60 minutes of tries (at most 60): ${POST.url}`]);
});

test.serial('the warning for a post given up names its URL without credentials', async (t) => {
  fakeTimeouts(t);
  const { poster: dlr, log } = poster([]);
  dlr.post({ ...POST, url: 'http://relay:s3cret@app.example/dlr?type=%d&api_key=k3y&password=pw&to=4917', createdAt: POST.createdAt - MAX_AGE_MS });
  await settled();
  t.is(log.lines.length, 1);
  t.regex(log.lines[0]!, /: http:\/\/\*\*\*@app\.example\/dlr\?type=%d&api_key=\*\*\*&password=\*\*\*&to=4917$/);
  t.notRegex(log.lines[0]!, /s3cret|k3y|=pw/);
});
