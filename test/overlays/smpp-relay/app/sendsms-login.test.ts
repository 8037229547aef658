import test from 'ava';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { parseArgs } from '../../../../overlays/smpp-relay/app/http-args.js';
import { authorise, Logins } from '../../../../overlays/smpp-relay/app/sendsms-login.js';
import type { UserSettings } from '../../../../overlays/smpp-relay/app/types.js';

const user = (username: string, change: Partial<UserSettings> = {}): UserSettings => ({
  origin: { file: 'kannel.conf', line: 1 },
  username,
  password: 'secret',
  maxMessages: 1,
  concatenation: false,
  ...change,
});

const USERS = [user('app'), user('other', { password: 'other-secret' }), user('guarded', { userAllowIp: '10.0.0.*', userDenyIp: '*.*.*.*' })];
const WRONG = parseArgs('username=app&password=guess');
const RIGHT = parseArgs('username=app&password=secret');
const DENIED = { status: 403, body: 'Authorization failed for sendsms' };

function logins(maxFailures = 3) {
  const clock = { now: 1_000_000 };
  const log = createMemoryLog();
  return { logins: new Logins({ log, maxFailures, windowMs: 60_000, now: () => clock.now }), log, clock };
}

test('authorise() gives the account the request opens from that address', (t) => {
  t.is(authorise(parseArgs('username=guarded&password=secret'), '10.0.0.1', USERS)?.username, 'guarded');
  t.is(authorise(parseArgs('username=guarded&password=secret'), '10.0.1.1', USERS), undefined);
  t.is(authorise(parseArgs('username=app&password=Secret'), '10.0.0.1', USERS), undefined);
});

test('a failed login is answered as Kannel answers it and logged with the user name and address, never the password', (t) => {
  const { logins: guard, log } = logins();
  t.deepEqual(guard.check(WRONG, '192.0.2.7', USERS), DENIED);
  t.deepEqual(guard.check(parseArgs('password=x'), '192.0.2.7', USERS), DENIED);
  t.deepEqual(log.lines, ['warn: sendsms: authorization failed for "app" from 192.0.2.7', 'warn: sendsms: authorization failed for no username from 192.0.2.7']);
  t.is(guard.check(RIGHT, '192.0.2.7', USERS), USERS[0]!);
});

test('over the limit an address gets 429 with Retry-After, even with the right password, until its failures age out', (t) => {
  const { logins: guard, log, clock } = logins(3);
  for (let i = 0; i < 3; i += 1) t.deepEqual(guard.check(WRONG, '192.0.2.7', USERS), DENIED);
  t.regex(log.lines.at(-1)!, /too many failures: refused for 60 s$/);
  t.deepEqual(guard.check(RIGHT, '192.0.2.7', USERS), { status: 429, body: 'Too many failed logins, try again in 60 s.', headers: { 'Retry-After': '60' } });
  t.is(guard.check(RIGHT, '192.0.2.8', USERS), USERS[0]!, 'another address is not affected');
  clock.now += 60_001;
  t.is(guard.check(RIGHT, '192.0.2.7', USERS), USERS[0]!);
});

test('a good login does not clear the failures of its address', (t) => {
  const { logins: guard } = logins(3);
  guard.check(WRONG, '192.0.2.7', USERS);
  guard.check(WRONG, '192.0.2.7', USERS);
  t.is(guard.check(parseArgs('username=other&password=other-secret'), '192.0.2.7', USERS), USERS[1]!);
  guard.check(WRONG, '192.0.2.7', USERS);
  t.like(guard.check(RIGHT, '192.0.2.7', USERS), { status: 429 }, 'refused after the third failure');
});

test('a script guessing thousands of passwords gets a handful of log lines', (t) => {
  const { logins: guard, log } = logins(1_000_000);
  for (let i = 0; i < 5000; i += 1) guard.check(parseArgs(`username=app&password=guess${i}`), '192.0.2.7', USERS);
  t.true(log.lines.length <= 5, `${log.lines.length} lines`);
});
