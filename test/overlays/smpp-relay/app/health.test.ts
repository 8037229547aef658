import test from 'ava';
import { LinkHealth, type HealthState } from '../../../../overlays/smpp-relay/app/health.js';

function health(options: { failures?: number; probeDelay?: number } = {}) {
  const changes: HealthState[] = [];
  const link = new LinkHealth({ failures: options.failures ?? 3, probeDelay: options.probeDelay ?? 5, onChange: (state) => changes.push(state) });
  return { link, changes };
}

test('a link stays in rotation until health-failures failures come in a row', (t) => {
  const { link, changes } = health({ failures: 3 });
  link.recordFailure(0, 'no answer');
  link.recordFailure(0, 'no answer');
  t.is(link.state, 'in');
  t.true(link.admits(0, 50));
  link.recordFailure(1000, 'system error');
  t.is(link.state, 'out');
  t.deepEqual(changes, ['out']);
  t.deepEqual(link.snapshot(), { state: 'out', failures: 3, probeAt: 6000, lastFailure: 'system error' });
});

test('a success in between starts the count again', (t) => {
  const { link } = health({ failures: 2 });
  link.recordFailure(0, 'no answer');
  link.recordSuccess();
  link.recordFailure(0, 'no answer');
  t.is(link.state, 'in');
  t.is(link.snapshot().failures, 1);
  link.recordFailure(0, 'no answer');
  t.is(link.state, 'out');
});

test('out of rotation, a link admits nothing until the probe is due, then exactly one message at a time', (t) => {
  const { link, changes } = health({ failures: 1, probeDelay: 5 });
  link.recordFailure(10_000, 'no answer');
  t.false(link.admits(10_000, 0));
  t.false(link.admits(14_999, 0));
  t.is(link.state, 'out');
  t.true(link.admits(15_000, 0));
  t.is(link.state, 'probing');
  t.false(link.admits(15_000, 1), 'the probe is under way');
  t.true(link.admits(15_001, 0));
  t.deepEqual(changes, ['out', 'probing']);
  t.deepEqual(link.snapshot(), { state: 'probing', failures: 1, lastFailure: 'no answer' });
});

test('a successful probe brings the link back into rotation', (t) => {
  const { link, changes } = health({ failures: 1, probeDelay: 5 });
  link.recordFailure(0, 'no answer');
  t.true(link.admits(5000, 0));
  link.recordSuccess();
  t.is(link.state, 'in');
  t.true(link.admits(5000, 7));
  t.deepEqual(changes, ['out', 'probing', 'in']);
  t.is(link.snapshot().failures, 0);
});

test('each failed probe doubles the wait, up to 60 s, and a success resets it', (t) => {
  const { link } = health({ failures: 1, probeDelay: 5 });
  let now = 0;
  link.recordFailure(now, 'no answer');
  const waits: number[] = [];
  for (let probe = 0; probe < 6; probe += 1) {
    const probeAt = link.snapshot().probeAt ?? Number.NaN;
    waits.push((probeAt - now) / 1000);
    now = probeAt;
    t.true(link.admits(now, 0));
    link.recordFailure(now, 'still no answer');
  }
  t.deepEqual(waits, [5, 10, 20, 40, 60, 60]);
  t.true(link.admits(link.snapshot().probeAt ?? Number.NaN, 0));
  link.recordSuccess();
  link.recordFailure(now, 'again');
  t.is((link.snapshot().probeAt ?? Number.NaN) - now, 5000);
});

test('failures while out (answers to submits sent before) neither move the probe nor change the state', (t) => {
  const { link, changes } = health({ failures: 1, probeDelay: 5 });
  link.recordFailure(0, 'no answer');
  link.recordFailure(3000, 'late answer');
  t.is(link.state, 'out');
  t.is(link.snapshot().probeAt, 5000);
  t.deepEqual(changes, ['out']);
});
