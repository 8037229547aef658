import test from 'ava';
import { FailureLimiter } from '../../../overlays/runtime/failure-limiter.js';

function limiterAt(start = 1_000_000) {
  const clock = { now: start };
  const limiter = new FailureLimiter({ maxFailures: 5, windowMs: 60_000, now: () => clock.now });
  return { clock, limiter };
}

test('five failures are allowed; the sixth attempt waits until the first leaves the window', (t) => {
  const { clock, limiter } = limiterAt();
  for (let i = 0; i < 5; i++) {
    t.is(limiter.retryAfter('192.0.2.1'), 0);
    limiter.fail('192.0.2.1');
    clock.now += 1000;
  }
  t.is(limiter.retryAfter('192.0.2.1'), 55);
  clock.now += 54_500;
  t.is(limiter.retryAfter('192.0.2.1'), 1, 'a part second left is rounded up');
  clock.now += 500;
  t.is(limiter.retryAfter('192.0.2.1'), 0);
});

test('failures are counted per client address', (t) => {
  const { limiter } = limiterAt();
  for (let i = 0; i < 5; i++) limiter.fail('192.0.2.1');
  t.true(limiter.retryAfter('192.0.2.1') > 0);
  t.is(limiter.retryAfter('192.0.2.2'), 0);
});

test('failures older than the window do not count', (t) => {
  const { clock, limiter } = limiterAt();
  for (let i = 0; i < 4; i++) limiter.fail('192.0.2.1');
  clock.now += 61_000;
  limiter.fail('192.0.2.1');
  t.is(limiter.retryAfter('192.0.2.1'), 0);
});

test('a successful login forgets the failures', (t) => {
  const { limiter } = limiterAt();
  for (let i = 0; i < 4; i++) limiter.fail('192.0.2.1');
  limiter.succeed('192.0.2.1');
  limiter.fail('192.0.2.1');
  t.is(limiter.retryAfter('192.0.2.1'), 0);
});

test('a flood of addresses cannot grow the table past its bound', (t) => {
  const clock = { now: 0 };
  const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, now: () => clock.now, maxClients: 100 });
  for (let i = 0; i < 1000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
  t.is(limiter.retryAfter('10.0.0.0'), 0, 'the oldest address was forgotten');
  t.true(limiter.retryAfter('10.0.3.231') > 0, 'the newest is remembered');
});
