import test from 'ava';
import { formatElapsed, formatStepProgress, ProgressView } from '../../../build/core/progress.js';

const elapsed = test.macro((t, ms: number, expected: string) => {
  t.is(formatElapsed(ms), expected);
});
test('under a minute in seconds', elapsed, 42_900, '42 s');
test('minutes with two-digit seconds', elapsed, 187_000, '3 min 07 s');
test('hours with two-digit minutes', elapsed, 3_725_000, '1 h 02 min');
test('a clock that went back reads 0 s', elapsed, -5, '0 s');

test('a report reads as phase, counts with their totals and units, what it is busy with, and the elapsed time', (t) => {
  t.is(formatStepProgress({
    phase: 'installing essential packages',
    counts: [{ label: 'fetched', done: 59, total: 59 }, { label: 'unpacked', done: 31, total: 59 }, { label: 'written', done: 12, unit: 'MiB' }],
    current: 'setting up libc6:armhf',
  }, 130_000), 'installing essential packages: fetched 59/59, unpacked 31/59, written 12 MiB; setting up libc6:armhf (2 min 10 s)');
  t.is(formatStepProgress({ phase: 'running apt-get update' }, 3_000), 'running apt-get update (3 s)');
});

test('the view shows nothing before the first report, the first at once, then the latest once per interval', (t) => {
  const view = new ProgressView({ startedAt: 1_000, intervalMs: 12_000 });
  t.is(view.due(2_000), undefined);
  view.update({ phase: 'one' });
  t.is(view.due(3_000), 'one (2 s)');
  view.update({ phase: 'two' });
  view.update({ phase: 'three' });
  t.is(view.due(14_999), undefined);
  t.is(view.due(15_000), 'three (14 s)');
  t.is(view.due(26_000), undefined);
  t.is(view.due(27_000), 'three (26 s)', 'the same report again, with the time moved on: the step is alive');
});
