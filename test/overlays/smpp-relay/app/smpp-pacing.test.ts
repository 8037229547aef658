import test from 'ava';
import { ThrottlePause, TokenBucket } from '../../../../overlays/smpp-relay/app/smpp-pacing.js';

function clock() {
  const state = { now: 1_000_000 };
  return { state, now: () => state.now };
}

test('throttling pauses 1 s, doubling to 30 s while it goes on, and starts over after a success', (t) => {
  const { state, now } = clock();
  const pause = new ThrottlePause(now);
  const pauses = [];
  for (let i = 0; i < 7; i += 1) {
    pauses.push(pause.throttled(pause.epoch));
    state.now += 60_000;
  }
  t.deepEqual(pauses, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  pause.succeeded();
  t.is(pause.throttled(pause.epoch), 1000);
});

test('a burst of 0x58 for submits sent before the pause makes one pause, not a longer one', (t) => {
  const { state, now } = clock();
  const pause = new ThrottlePause(now);
  const sentIn = pause.epoch;
  t.is(pause.throttled(sentIn), 1000);
  t.is(pause.throttled(sentIn), undefined);
  t.is(pause.remainingMs(), 1000);
  state.now += 1000;
  t.is(pause.throttled(sentIn), undefined, 'sent before the pause, answered after it');
  t.is(pause.remainingMs(), 0);
});

test('the token bucket lets a second\'s worth through at once, then the rate', (t) => {
  const { state, now } = clock();
  const bucket = new TokenBucket(4, now);
  let sent = 0;
  while (bucket.available()) {
    bucket.take();
    sent += 1;
  }
  t.is(sent, 4);
  t.is(bucket.waitMs(), 250);
  state.now += 250;
  t.true(bucket.available());
  bucket.take();
  t.false(bucket.available());
  state.now += 10_000;
  for (let i = 0; i < 4; i += 1) bucket.take();
  t.false(bucket.available(), 'never more than the burst after a quiet time');
});

test('a rate under one per second still lets one through, then waits', (t) => {
  const { now } = clock();
  const bucket = new TokenBucket(0.5, now);
  t.true(bucket.available());
  bucket.take();
  t.is(bucket.waitMs(), 2000);
});
