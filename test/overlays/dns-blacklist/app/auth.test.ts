/** Basic credentials, the per-address limit, and the bound on password hashing for the whole service. */
import test from 'ava';
import { createAuthenticator, findBasicUserProblem, parseBasicAuth, type AuthOutcome } from '../../../../overlays/dns-blacklist/app/auth.js';
import { BoundedQueue } from '../../../../overlays/dns-blacklist/app/bounded-queue.js';
import { hashPassword } from '../../../../overlays/dns-blacklist/app/password.js';
import { FailureLimiter } from '../../../../overlays/runtime/failure-limiter.js';
import { basic, HeldVerifier, waitUntil } from './fakes.js';

const PASSWORD = 'correct horse battery';
const HASH = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });

/** An authenticator for user admin with one check running and four waiting, and a held scrypt. */
function authenticatorUnderTest() {
  const verifier = new HeldVerifier();
  const hashing = new BoundedQueue({ concurrency: 1, maxWaiting: 4 });
  const limiter = new FailureLimiter({ maxFailures: 5, windowMs: 60_000 });
  const authenticate = createAuthenticator({ user: 'admin', passwordHash: HASH, limiter, hashing, verify: verifier.verify });
  return { verifier, hashing, authenticate };
}

const kinds = (outcomes: AuthOutcome[]) => outcomes.map((outcome) => outcome.kind);
const guess = (i: number) => ({ authorization: basic('admin', `guess-${i}`), client: `10.0.${i >> 8}.${i & 255}` });

test('a Basic header gives its user and password; anything else is no credentials', (t) => {
  const encode = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  t.deepEqual(parseBasicAuth(encode('admin:pa:ss wörd')), { user: 'admin', password: 'pa:ss wörd' });
  t.deepEqual(parseBasicAuth(encode(':pw')), { user: '', password: 'pw' });
  t.is(parseBasicAuth(encode('no-colon')), undefined);
  t.is(parseBasicAuth('Bearer abc'), undefined);
  t.is(parseBasicAuth('Basic not base64!'), undefined);
  t.is(parseBasicAuth(undefined), undefined);
});

test('a hundred wrong logins from a hundred addresses hash one at a time, four wait, and the rest are turned away before hashing', async (t) => {
  const { verifier, hashing, authenticate } = authenticatorUnderTest();
  const outcomes = Array.from({ length: 100 }, (_, i) => authenticate(guess(i)));
  const turnedAway = await Promise.all(outcomes.slice(5));
  t.true(turnedAway.every((outcome) => outcome.kind === 'busy' && outcome.retryAfter > 0), JSON.stringify(turnedAway[0]));
  t.is(verifier.calls.length, 1);
  t.is(hashing.waiting, 4);
  verifier.open();
  t.deepEqual(kinds(await Promise.all(outcomes.slice(0, 5))), Array(5).fill('wrong'));
  t.is(verifier.calls.length, 5, 'no more scrypt runs than the queue has places');
});

test('the admin\'s first login, queued behind attackers, is checked after at most the queue; once remembered it skips the queue', async (t) => {
  const { verifier, hashing, authenticate } = authenticatorUnderTest();
  const before = Array.from({ length: 4 }, (_, i) => authenticate(guess(i)));
  const admin = authenticate({ authorization: basic('admin', PASSWORD), client: '192.168.1.10' });
  const after = Array.from({ length: 50 }, (_, i) => authenticate(guess(100 + i)));
  t.deepEqual(new Set(kinds(await Promise.all(after))), new Set(['busy']));
  verifier.open();
  t.deepEqual(await admin, { kind: 'ok', user: 'admin' });
  t.is(verifier.calls.length, 5, 'four guesses and the admin\'s password: the queue\'s places, no more');
  await Promise.all(before);
  // attackers fill the queue again; the remembered password does not wait behind them
  const held = new HeldVerifier();
  const full = Array.from({ length: 5 }, (_, i) => hashing.run(() => held.verify(`filler-${i}`, HASH)));
  t.deepEqual(await authenticate({ authorization: basic('admin', PASSWORD), client: '192.168.1.11' }), { kind: 'ok', user: 'admin' });
  t.is(verifier.calls.length, 5);
  held.open();
  await Promise.all(full);
});

test('a login whose client has gone while it waited is dropped without hashing and without counting as a failure', async (t) => {
  const { verifier, hashing, authenticate } = authenticatorUnderTest();
  const running = authenticate(guess(1));
  const gone = new AbortController();
  const leaving = authenticate({ ...guess(2), signal: gone.signal });
  await waitUntil(() => hashing.waiting === 1, 'the second login waits');
  gone.abort();
  t.deepEqual(await leaving, { kind: 'abandoned' });
  verifier.open();
  t.is((await running).kind, 'wrong');
  t.deepEqual(verifier.calls, ['guess-1']);
  // five more wrong guesses from the address that left: the abandoned one did not count
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await authenticate(guess(2))).kind);
  t.deepEqual(statuses, Array(5).fill('wrong'));
  t.is((await authenticate(guess(2))).kind, 'limited');
});

test('user names compare in NFC on both sides, as passwords do', async (t) => {
  const composed = 'Jos\u00e9';
  const decomposed = 'Jose\u0301';
  const password = 'pa\u00dfw\u00f6rd';
  const hash = await hashPassword(password.normalize('NFD'), { N: 1024, r: 8, p: 1 });
  const login = (user: string, configured: string) => createAuthenticator({
    user: configured, passwordHash: hash, limiter: new FailureLimiter({ maxFailures: 5, windowMs: 60_000 }), hashing: new BoundedQueue({ concurrency: 1, maxWaiting: 4 }),
  })({ authorization: basic(user, password), client: '192.0.2.1' });
  t.deepEqual(await login(composed, decomposed), { kind: 'ok', user: composed });
  t.deepEqual(await login(decomposed, composed), { kind: 'ok', user: composed });
  t.is((await login('Jose', composed)).kind, 'wrong');
});

test('a user name with a colon or a control character is named as one Basic cannot carry', (t) => {
  t.is(findBasicUserProblem('admin'), undefined);
  t.is(findBasicUserProblem('Jos\u00e9'), undefined);
  t.regex(findBasicUserProblem('ad:min') ?? '', /contains ":".*RFC 7617/);
  t.regex(findBasicUserProblem('ad\u0085min') ?? '', /control character U\+0085/);
});
