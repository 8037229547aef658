import test from 'ava';
import { Admission, type AdmissionLimits, type AdmissionRequest } from '../../../../overlays/vote-backend/app/admission.js';

/** The start of a minute: windows of 60 s begin at multiples of their length. */
const T0 = Date.UTC(2026, 5, 1, 20, 0, 0);
const at = (seconds: number) => T0 + seconds * 1000;

const limits = (change: Partial<AdmissionLimits> = {}): AdmissionLimits => ({ perVoter: null, perAddress: null, idempotencyWindowSeconds: 3600, ...change });
const fromVoter = (voter: string, address = '192.0.2.1'): AdmissionRequest => ({ address, voter: `show\0${voter}`, fingerprint: `show\0a\0${voter}` });
const fromAddress = (address: string): AdmissionRequest => ({ address, fingerprint: 'show\0a\0' });
const withKey = (key: string, choice = 'a'): AdmissionRequest => ({ address: '192.0.2.1', key: `show\0${key}`, fingerprint: `show\0${choice}\0` });

test('a voter gets max votes in a window, then voter_limit with the seconds until one more is allowed', (t) => {
  const admission = new Admission(limits({ perVoter: { max: 2, windowSeconds: 60 } }));
  t.deepEqual(admission.admit(fromVoter('alice'), at(10)), { ok: true, duplicate: false });
  t.deepEqual(admission.admit(fromVoter('alice'), at(11)), { ok: true, duplicate: false });
  t.deepEqual(admission.admit(fromVoter('alice'), at(12)), { ok: false, reason: 'voter_limit', retryAfterSeconds: 49 });
  t.deepEqual(admission.admit(fromVoter('bob'), at(12)), { ok: true, duplicate: false }, 'another voter has a count of their own');
});

test('the per-address limit counts every vote from one address, whoever the voter', (t) => {
  const admission = new Admission(limits({ perAddress: { max: 3, windowSeconds: 60 } }));
  for (const voter of ['a', 'b', 'c']) t.true(admission.admit(fromVoter(voter, '198.51.100.7'), at(1)).ok);
  t.like(admission.admit(fromVoter('d', '198.51.100.7'), at(2)), { ok: false, reason: 'address_limit' });
  t.true(admission.admit(fromAddress('198.51.100.8'), at(2)).ok);
});

test('windows slide: max votes at the end of one window leave room for about none at the start of the next', (t) => {
  const admission = new Admission(limits({ perVoter: { max: 2, windowSeconds: 60 } }));
  t.true(admission.admit(fromVoter('alice'), at(58)).ok);
  t.true(admission.admit(fromVoter('alice'), at(59)).ok);
  t.true(admission.admit(fromVoter('alice'), at(61)).ok, 'the last window\'s 2 weighted 59/60: 1.97 < 2');
  t.like(admission.admit(fromVoter('alice'), at(62)), { ok: false, reason: 'voter_limit' }, 'fixed windows would take a fourth vote in 4 s here');
  t.false(admission.admit(fromVoter('alice'), at(89)).ok, '2 x 31/60 + 1 = 2.03');
  t.true(admission.admit(fromVoter('alice'), at(91)).ok, '2 x 29/60 + 1 = 1.97');
});

test('windows slide: room comes back as the last window\'s votes age out, and all of it after two windows', (t) => {
  const admission = new Admission(limits({ perVoter: { max: 2, windowSeconds: 60 } }));
  admission.admit(fromVoter('alice'), at(0));
  admission.admit(fromVoter('alice'), at(1));
  const refused = admission.admit(fromVoter('alice'), at(30));
  t.like(refused, { ok: false, retryAfterSeconds: 31 });
  t.true(admission.admit(fromVoter('alice'), at(61)).ok, 'two votes weighted 59/60 and none in this window: 1.97 < 2');
  t.false(admission.admit(fromVoter('alice'), at(62)).ok);
  t.true(admission.admit(fromVoter('alice'), at(180)).ok);
  t.true(admission.admit(fromVoter('alice'), at(180)).ok);
});

test('the retry-after a refusal gives is when a vote is taken again', (t) => {
  const admission = new Admission(limits({ perAddress: { max: 3, windowSeconds: 60 } }));
  for (const second of [50, 55, 59]) admission.admit(fromAddress('192.0.2.9'), at(second));
  const refused = admission.admit(fromAddress('192.0.2.9'), at(59.5));
  if (refused.ok || refused.retryAfterSeconds === undefined) return t.fail('refused with a retry-after expected');
  const retryAt = 59.5 + refused.retryAfterSeconds;
  t.false(admission.admit(fromAddress('192.0.2.9'), at(retryAt - 1.1)).ok, 'a second before it: still refused');
  t.true(admission.admit(fromAddress('192.0.2.9'), at(retryAt)).ok);
});

test('a retry with the same Idempotency-Key and the same vote is taken as a duplicate, not counted again', (t) => {
  const admission = new Admission(limits({ perAddress: { max: 1, windowSeconds: 60 } }));
  t.deepEqual(admission.admit(withKey('k1'), at(1)), { ok: true, duplicate: false });
  t.deepEqual(admission.admit(withKey('k1'), at(2)), { ok: true, duplicate: true });
  t.deepEqual(admission.admit(withKey('k1'), at(3)), { ok: true, duplicate: true });
});

test('an Idempotency-Key used again for another vote is a key_conflict', (t) => {
  const admission = new Admission(limits());
  admission.admit(withKey('k1', 'a'), at(1));
  t.deepEqual(admission.admit(withKey('k1', 'b'), at(2)), { ok: false, reason: 'key_conflict' });
});

test('an Idempotency-Key is remembered for at least its window and forgotten after two', (t) => {
  const admission = new Admission(limits({ idempotencyWindowSeconds: 60 }));
  admission.admit(withKey('k1'), at(59));
  t.like(admission.admit(withKey('k1'), at(119)), { duplicate: true });
  t.like(admission.admit(withKey('k2'), at(1)), { duplicate: false });
  t.like(admission.admit(withKey('k2'), at(121)), { duplicate: false });
});

test('a refund gives back what a vote the journal refused had counted', (t) => {
  const admission = new Admission(limits({ perVoter: { max: 1, windowSeconds: 60 }, perAddress: { max: 1, windowSeconds: 60 } }));
  t.true(admission.admit(fromVoter('alice'), at(1)).ok);
  admission.refund(fromVoter('alice'));
  t.true(admission.admit(fromVoter('alice'), at(2)).ok);
});

const needed = test.macro((t, given: Partial<AdmissionLimits>, request: { voter?: string; key?: string }, expected: boolean) => {
  t.is(Admission.needed(limits(given), request), expected);
});
test('nothing to check without limits or a key', needed, {}, { voter: 'alice' }, false);
test('a key is always checked', needed, {}, { key: 'k' }, true);
test('a per-voter limit is checked only for votes naming a voter', needed, { perVoter: { max: 1, windowSeconds: 1 } }, {}, false);
test('a per-voter limit is checked for a vote naming a voter', needed, { perVoter: { max: 1, windowSeconds: 1 } }, { voter: 'alice' }, true);
test('a per-address limit is checked for every vote', needed, { perAddress: { max: 1, windowSeconds: 1 } }, {}, true);
