import test, { type ExecutionContext } from 'ava';
import { createMemoryLog, flushRepeats, limitRepeats } from '../../../overlays/runtime/service-log.js';

/** setTimeout and clearTimeout replaced for one serial test, so intervals end when the test says. */
function fakeTimeouts(t: ExecutionContext): { delays(): number[]; fire(): void } {
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const pending = new Map<object, { delay: number; callback: () => void }>();
  globalThis.setTimeout = ((callback: () => void, delay: number) => {
    const timer = { unref: () => timer };
    pending.set(timer, { delay, callback });
    return timer;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: object) => pending.delete(timer)) as unknown as typeof clearTimeout;
  t.teardown(() => Object.assign(globalThis, real));
  return {
    delays: () => [...pending.values()].map((timer) => timer.delay),
    fire: () => {
      const due = [...pending.values()];
      pending.clear();
      for (const timer of due) timer.callback();
    },
  };
}

test('a flood of one kind writes its first lines, then one line counting the rest and showing the last', (t) => {
  const log = createMemoryLog();
  const flood = limitRepeats(log, 'unmatched receipt', { burst: 3 });
  for (let i = 1; i <= 10_000; i += 1) flood.warn(`receipt ${i} matches nothing`);
  t.deepEqual(log.lines, ['warn: receipt 1 matches nothing', 'warn: receipt 2 matches nothing', 'warn: receipt 3 matches nothing']);
  flushRepeats(log);
  t.is(log.lines.length, 4);
  t.regex(log.lines[3]!, /^warn: 9997 more like this in the last \d+ s \(unmatched receipt\); the last: receipt 10000 matches nothing$/);
});

test('kinds are counted apart, whatever their text, and the summary takes the highest level counted', (t) => {
  const log = createMemoryLog();
  const logins = limitRepeats(log, 'login', { burst: 1 });
  const receipts = limitRepeats(log, 'receipt', { burst: 1 });
  logins.info('same text');
  receipts.info('same text');
  logins.info('login 2');
  logins.error('login 3');
  logins.warn('login 4');
  t.deepEqual(log.lines, ['info: same text', 'info: same text']);
  flushRepeats(log);
  t.is(log.lines.length, 3);
  t.regex(log.lines[2]!, /^error: 3 more like this in the last \d+ s \(login\); the last: login 4$/);
});

test('the same kind asked for twice shares one count', (t) => {
  const log = createMemoryLog();
  limitRepeats(log, 'mo', { burst: 2 }).warn('a');
  limitRepeats(log, 'mo', { burst: 2 }).warn('b');
  limitRepeats(log, 'mo', { burst: 2 }).warn('c');
  t.deepEqual(log.lines, ['warn: a', 'warn: b']);
});

test('a kind without repeats over its burst writes no summary', (t) => {
  const log = createMemoryLog();
  limitRepeats(log, 'rare').warn('once');
  flushRepeats(log);
  t.deepEqual(log.lines, ['warn: once']);
});

test.serial('the summary comes by itself at the end of the interval, and a quiet interval ends the flood', (t) => {
  const timers = fakeTimeouts(t);
  const log = createMemoryLog();
  const flood = limitRepeats(log, 'deliver_sm', { burst: 1, intervalMs: 50 });
  flood.warn('first');
  flood.warn('second');
  flood.warn('third');
  t.deepEqual(timers.delays(), [50]);
  timers.fire();
  t.regex(log.lines.at(-1)!, /^warn: 2 more like this in the last \d+ s \(deliver_sm\); the last: third$/);
  flood.warn('fourth, still the flood');
  t.is(log.lines.length, 2, 'counted, not written');
  timers.fire();
  t.regex(log.lines.at(-1)!, /^warn: 1 more like this .*the last: fourth, still the flood$/);
  timers.fire();
  t.deepEqual(timers.delays(), [], 'a quiet interval: no more timers');
  flood.warn('after the quiet');
  t.is(log.lines.at(-1), 'warn: after the quiet');
});

test('lines of a kind that never reached its burst start over once an interval has gone by', async (t) => {
  const log = createMemoryLog();
  const rare = limitRepeats(log, 'rare', { burst: 1, intervalMs: 5 });
  rare.warn('first');
  const since = Date.now();
  while (Date.now() - since < 10) await new Promise((resolve) => setTimeout(resolve, 5));
  rare.warn('much later');
  t.deepEqual(log.lines, ['warn: first', 'warn: much later']);
});
