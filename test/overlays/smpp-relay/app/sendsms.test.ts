import test from 'ava';
import { parseArgs } from '../../../../overlays/smpp-relay/app/http-args.js';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { handleSendsms, type SendsmsContext, type SendsmsReply } from '../../../../overlays/smpp-relay/app/sendsms.js';
import { Logins } from '../../../../overlays/smpp-relay/app/sendsms-login.js';
import type { StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
import type { SmsboxSettings, UserSettings } from '../../../../overlays/smpp-relay/app/types.js';

const user = (username: string, change: Partial<UserSettings> = {}): UserSettings => ({
  origin: { file: 'kannel.conf', line: 1 },
  username,
  password: 'secret',
  maxMessages: 3,
  concatenation: true,
  ...change,
});

const USERS: UserSettings[] = [
  user('app'),
  user('named', { name: 'Shop Inc' }),
  user('guarded', { userAllowIp: '10.0.0.*;127.0.0.1', userDenyIp: '*.*.*.*' }),
  user('denied', { userDenyIp: '192.168.*.*' }),
  user('defaults', { defaultSmsc: 'dflt', defaultSender: 'Shop', dlrUrl: 'http://app.example/dlr?t=%d' }),
  user('forced', { forcedSmsc: 'forced', defaultSmsc: 'dflt', fakedSender: 'Faked', defaultSender: 'Shop' }),
  user('longfake', { fakedSender: 'The Shop Incorporated' }),
  user('nohost', { dlrUrl: 'http:///dlr?type=%d' }),
];

const SMSBOX: SmsboxSettings = { sendsmsPort: 13013, sendsmsChars: '0123456789 +-' };

type Route = ReturnType<SendsmsContext['route']>;

interface Fake {
  context: SendsmsContext;
  accepted: StoredMessage[][];
  routed: (string | undefined)[];
}

function fake(options: { route?: Route; failingStore?: boolean; smsbox?: Partial<SmsboxSettings>; logins?: Logins } = {}): Fake {
  const accepted: StoredMessage[][] = [];
  const routed: (string | undefined)[] = [];
  let ids = 0;
  const context: SendsmsContext = {
    users: USERS,
    logins: options.logins ?? new Logins({ log: createMemoryLog() }),
    smsbox: { ...SMSBOX, ...options.smsbox },
    route: (smscId) => {
      routed.push(smscId);
      return options.route ?? 'link';
    },
    accept: async (messages) => {
      if (options.failingStore) throw new Error('ENOSPC: no space left on device');
      accepted.push(messages);
    },
    newId: () => `id${(ids += 1)}`,
    now: () => 1_700_000_000_000,
    reference: () => 7,
  };
  return { context, accepted, routed };
}

const send = (query: string, fakeOf: Fake = fake(), ip = '127.0.0.1'): Promise<SendsmsReply> => handleSendsms(parseArgs(query), ip, fakeOf.context);

const OK = 'username=app&password=secret&to=123&from=Me&text=hi';

const replies = test.macro({
  async exec(t, query: string, expected: SendsmsReply, options: { ip?: string; smsbox?: Partial<SmsboxSettings> } = {}) {
    const f = fake(options.smsbox ? { smsbox: options.smsbox } : {});
    t.deepEqual(await send(query, f, options.ip), expected);
    if (expected.status !== 202) t.deepEqual(f.accepted, [], 'nothing is accepted');
  },
  title: (given, query: string, expected: SendsmsReply, _options?: { ip?: string; smsbox?: Partial<SmsboxSettings> }) => `${given ?? query}: ${expected.status} "${expected.body}"`,
});

const accepted = { status: 202, body: '0: Accepted for delivery' };
const denied = { status: 403, body: 'Authorization failed for sendsms' };
const bad = (body: string) => ({ status: 400, body });

// smsbox_req_sendsms(): authorisation first, then "to"
test('no username or password', replies, 'to=123&text=hi', denied);
test('no password', replies, 'username=app&to=123', denied);
test('a wrong password', replies, 'username=app&password=wrong&to=123&from=Me', denied);
test('an unknown user', replies, 'username=nobody&password=secret&to=123&from=Me', denied);
test('the user and pass aliases', replies, 'user=app&pass=secret&to=123&from=Me', accepted);
test('a wrong password and no receiver (authorisation comes first)', replies, 'username=app&password=wrong', denied);
test('user-deny-ip naming the client and user-allow-ip not', replies, 'username=guarded&password=secret&to=123&from=Me', denied, { ip: '192.168.1.1' });
test('user-allow-ip naming the client beats user-deny-ip', replies, 'username=guarded&password=secret&to=123&from=Me', accepted, { ip: '10.0.0.7' });
test('the second pattern of user-allow-ip naming the client', replies, 'username=guarded&password=secret&to=123&from=Me', accepted, { ip: '127.0.0.1' });
test('user-deny-ip alone naming the client', replies, 'username=denied&password=secret&to=123&from=Me', denied, { ip: '192.168.0.1' });
test('user-deny-ip alone not naming the client', replies, 'username=denied&password=secret&to=123&from=Me', accepted, { ip: '10.1.1.1' });
test('failed logins are limited per client address: over the limit even the right password is answered 429', async (t) => {
  const log = createMemoryLog();
  const f = fake({ logins: new Logins({ log, maxFailures: 3 }) });
  for (let i = 0; i < 3; i += 1) t.deepEqual(await send(`username=app&password=guess${i}&to=123&from=Me`, f, '192.0.2.9'), denied);
  t.like(await send(OK, f, '192.0.2.9'), { status: 429, headers: { 'Retry-After': '60' } });
  t.deepEqual(await send(OK, f, '192.0.2.10'), accepted);
  t.is(f.accepted.length, 1);
  t.is(log.lines.filter((line) => line.includes('authorization failed for "app" from 192.0.2.9')).length, 3);
});

test('no receiver', replies, 'username=app&password=secret&from=Me&text=hi', bad('Missing receiver number, rejected'));
test('an empty receiver', replies, 'username=app&password=secret&to=&from=Me', bad('Empty receiver number not allowed, rejected'));
// smsbox_req_handle(): UDH, receivers, sender, then the fields in this order
test('a UDH whose length octet disagrees with its length', replies, `${OK}&udh=%05%00%03`, bad('UDH field misformed, rejected'));
test('a UDH of more than 140 octets', replies, `${OK}&udh=%8C${'%00'.repeat(140)}`, bad('UDH field is too long, rejected'));
test('a misformed UDH and a bad receiver (the UDH comes first)', replies, 'username=app&password=secret&to=abc&from=Me&udh=%05', bad('UDH field misformed, rejected'));
test('a receiver with characters outside sendsms-chars', replies, 'username=app&password=secret&to=%2B358-40abc&from=Me', bad('Number(s) has/have been denied by white- and/or black-lists.'));
test('receivers checked against sendsms-chars as configured', replies, 'username=app&password=secret&to=123&from=Me', bad('Number(s) has/have been denied by white- and/or black-lists.'), { smsbox: { sendsmsChars: '+' } });
test('a bad receiver and no sender (receivers come first)', replies, 'username=app&password=secret&to=abc', bad('Number(s) has/have been denied by white- and/or black-lists.'));
// beyond Kannel: what submit_sm cannot carry is refused here, not accepted and failed in the link
test('the issue\'s sender with a NUL that smuggled SMPP fields', replies, 'username=app&password=secret&to=4917&from=%41%00%01%01%39%39%39%39%39%00&text=hi', bad('Sender field misformed or too long, rejected'));
test('a sender with a newline', replies, 'username=app&password=secret&to=4917&from=Shop%0A', bad('Sender field misformed or too long, rejected'));
test('a numeric sender of 21 digits', replies, `username=app&password=secret&to=4917&from=${'1'.repeat(21)}`, bad('Sender field misformed or too long, rejected'));
test('an alphanumeric sender of 12 characters', replies, 'username=app&password=secret&to=4917&from=ABCDEFGHIJKL', bad('Sender field misformed or too long, rejected'));
test('an alphanumeric sender of 11 characters', replies, `username=app&password=secret&to=4917&from=ABCDEFGHIJK&text=hi`, accepted);
test('a receiver of 21 digits', replies, `username=app&password=secret&to=${'1'.repeat(21)}&from=Me`, bad('Number(s) has/have been denied by white- and/or black-lists.'));
test('a receiver of + and 21 digits', replies, `username=app&password=secret&to=%2B${'1'.repeat(21)}&from=Me`, bad('Number(s) has/have been denied by white- and/or black-lists.'));
test('a receiver with a NUL, though sendsms-chars allows it', replies, 'username=app&password=secret&to=4917%00&from=Me', bad('Number(s) has/have been denied by white- and/or black-lists.'), { smsbox: { sendsmsChars: '0123456789\u0000' } });
test('a faked-sender over 11 letters, whatever the request says', replies, 'username=longfake&password=secret&to=4917&from=Me', bad('Sender field misformed or too long, rejected'));
test('no sender, no default-sender and no global-sender', replies, 'username=app&password=secret&to=123&text=hi', bad('Sender missing and no global set, rejected'));
test('an empty sender and no fallback', replies, 'username=app&password=secret&to=123&from=', bad('Sender missing and no global set, rejected'));
test('no sender and a bad dlr-mask (the sender comes first)', replies, 'username=app&password=secret&to=123&dlr-mask=99', bad('Sender missing and no global set, rejected'));
test('a dlr-url that is not http', replies, `${OK}&dlr-url=ftp%3A%2F%2Fapp%2F`, bad('DLR-URL field misformed, rejected'));
test('a dlr-url shorter than http://x', replies, `${OK}&dlr-url=http%3A%2F%2F`, bad('DLR-URL field misformed, rejected'));
test('a bad dlr-url and a bad dlr-mask (the URL comes first)', replies, `${OK}&dlr-url=mailto%3Ax&dlr-mask=99`, bad('DLR-URL field misformed, rejected'));
// beyond Kannel, which takes any dlr-url of 8 characters starting http:// or https://
test('a dlr-url without a host', replies, `${OK}&dlr-url=http%3A%2F%2F%2F&dlr-mask=31`, bad('DLR-URL field misformed, rejected'));
test('a dlr-url whose host is only a port', replies, `${OK}&dlr-url=http%3A%2F%2F%3A80%2Fdlr&dlr-mask=31`, bad('DLR-URL field misformed, rejected'));
test('a dlr-url with escapes in its query', replies, `${OK}&dlr-url=https%3A%2F%2Fapp.example%2Fdlr%3Ftype%3D%25d%26to%3D%25p&dlr-mask=31`, accepted);
test('an account\'s dlr-url without a host', replies, 'username=nohost&password=secret&to=123&from=Me&dlr-mask=31', bad('DLR-URL field misformed, rejected'));
test('the deprecated dlrurl', replies, `${OK}&dlrurl=x`, bad('DLR-URL field misformed, rejected'));
test(replies, `${OK}&dlr-mask=67`, bad('DLR-Mask field misformed, rejected'));
test(replies, `${OK}&dlr-mask=-2`, bad('DLR-Mask field misformed, rejected'));
test(replies, `${OK}&dlrmask=67`, bad('DLR-Mask field misformed, rejected'));
test(replies, `${OK}&dlr-mask=67&mclass=9`, bad('DLR-Mask field misformed, rejected'));
test(replies, `${OK}&mclass=4&pid=256`, bad('MClass field misformed, rejected'));
test(replies, `${OK}&mclass=-2`, bad('MClass field misformed, rejected'));
test(replies, `${OK}&pid=256&rpi=3`, bad('PID field misformed, rejected'));
test(replies, `${OK}&rpi=3&alt-dcs=2`, bad('RPI field misformed, rejected'));
test(replies, `${OK}&alt-dcs=2&mwi=8`, bad('Alt-DCS field misformed, rejected'));
test(replies, `${OK}&mwi=8&coding=3`, bad('MWI field misformed, rejected'));
test(replies, `${OK}&coding=3&compress=2`, bad('Coding field misformed, rejected'));
test(replies, `${OK}&compress=2&validity=-2`, bad('Compress field misformed, rejected'));
test(replies, `${OK}&validity=-2&deferred=-2`, bad('Validity field misformed, rejected'));
test(replies, `${OK}&deferred=-2&priority=4`, bad('Deferred field misformed, rejected'));
test(replies, `${OK}&priority=4`, bad('Priority field misformed, rejected'));
test(replies, `${OK}&priority=-2`, bad('Priority field misformed, rejected'));
test('every field at the edge of its range', replies, `${OK}&dlr-mask=66&mclass=3&pid=255&rpi=2&alt-dcs=1&mwi=7&coding=2&compress=1&validity=0&deferred=0&priority=3`, accepted);
test('every field at -1, Kannel\'s "not given"', replies, `${OK}&dlr-mask=-1&mclass=-1&pid=-1&rpi=-1&alt-dcs=-1&mwi=-1&coding=-1&compress=-1&validity=-1&deferred=-1&priority=-1`, accepted);
test('numbers read as sscanf("%d") reads them', replies, `${OK}&dlr-mask=3abc&mclass=x&priority=%202`, accepted);
test('a charset iconv does not know', replies, `${OK}&charset=no-such-charset`, bad('Charset or body misformed, rejected'));

const routeReplies = test.macro({
  async exec(t, route: Route, expected: SendsmsReply, stored: boolean) {
    const f = fake({ route });
    t.deepEqual(await send(OK, f), expected);
    t.is(f.accepted.length, stored ? 1 : 0);
  },
  title: (_given, route: Route, expected: SendsmsReply) => `routing's "${route}" is answered ${expected.status} "${expected.body}"`,
});

test(routeReplies, 'link', { status: 202, body: '0: Accepted for delivery' }, true);
test(routeReplies, 'queue', { status: 202, body: '3: Queued for later delivery' }, true);
test(routeReplies, 'reject', { status: 403, body: 'Not routable. Do not try again.' }, false);
test(routeReplies, 'full', { status: 503, body: 'Temporal failure, try again later.' }, false);

test('a store that cannot write is answered 503 and nothing is queued', async (t) => {
  const f = fake({ failingStore: true });
  t.deepEqual(await send(OK, f), { status: 503, body: 'Temporal failure, try again later.' });
  t.deepEqual(f.accepted, []);
});

const smscOf = test.macro({
  async exec(t, username: string, extra: string, expected: string | undefined) {
    const f = fake();
    t.is((await send(`username=${username}&password=secret&to=123&from=Me${extra}`, f)).status, 202);
    t.deepEqual(f.routed, [expected]);
    t.is(f.accepted[0]?.[0]?.smscId, expected);
  },
  title: (given, username: string, extra: string, expected: string | undefined) => `${given}: user ${username} with "${extra}" routes by ${expected === undefined ? 'no smsc-id' : `"${expected}"`}`,
});

test('no smsc anywhere', smscOf, 'app', '', undefined);
test('the request\'s smsc', smscOf, 'app', '&smsc=x', 'x');
test('default-smsc without a request smsc', smscOf, 'defaults', '', 'dflt');
test('the request\'s smsc over default-smsc', smscOf, 'defaults', '&smsc=x', 'x');
test('forced-smsc over the request\'s', smscOf, 'forced', '&smsc=x', 'forced');
test('forced-smsc over default-smsc', smscOf, 'forced', '', 'forced');

const senderOf = test.macro({
  async exec(t, username: string, extra: string, expected: string, smsbox: Partial<SmsboxSettings> = {}) {
    const f = fake({ smsbox });
    t.is((await send(`username=${username}&password=secret&to=123${extra}`, f)).status, 202);
    t.is(f.accepted[0]?.[0]?.from, expected);
  },
  title: (given, username: string, extra: string, expected: string, _smsbox?: Partial<SmsboxSettings>) => `${given}: user ${username} with "${extra}" sends from "${expected}"`,
});

test('faked-sender over the request\'s', senderOf, 'forced', '&from=Me', 'Faked');
test('the request\'s over default-sender', senderOf, 'defaults', '&from=Me', 'Me');
test('default-sender without a request sender', senderOf, 'defaults', '', 'Shop');
test('default-sender for an empty request sender', senderOf, 'defaults', '&from=', 'Shop');
test('default-sender over global-sender', senderOf, 'defaults', '', 'Shop', { globalSender: 'Global' });
test('global-sender last', senderOf, 'app', '', 'Global', { globalSender: 'Global' });

test('several receivers give one message each, duplicates and denied ones dropped, routed once', async (t) => {
  const f = fake();
  t.deepEqual(await send('username=app&password=secret&from=Me&text=hi&to=123+456%09abc++123', f), accepted);
  t.deepEqual(f.routed, [undefined]);
  const messages = f.accepted[0] ?? [];
  t.deepEqual(messages.map((stored) => [stored.id, stored.to]), [['id1', '123'], ['id2', '456']]);
  t.deepEqual(messages[0]?.parts, messages[1]?.parts);
});

test('a receiver too long for submit_sm is dropped from several, as one outside sendsms-chars is', async (t) => {
  const f = fake();
  t.deepEqual(await send(`username=app&password=secret&from=Me&text=hi&to=123+${'4'.repeat(21)}+456`, f), accepted);
  t.deepEqual(f.accepted[0]?.map((stored) => stored.to), ['123', '456']);
});

test('receivers are split at C\'s white space only: a no-break space (0xA0) is part of a number', async (t) => {
  const f = fake({ smsbox: { sendsmsChars: '0123456789\u00a0' } });
  t.deepEqual(await send('username=app&password=secret&from=Me&text=hi&to=123%A0456%0B789', f), accepted);
  t.deepEqual(f.accepted[0]?.map((stored) => stored.to), ['123\u00a0456', '789']);
});

test('an accepted message is stored with everything the request said', async (t) => {
  const f = fake();
  const query = 'username=named&password=secret&to=%2B358401&from=Shop&text=Hello&dlr-mask=3&dlr-url=http%3A%2F%2Fapp%2Fdlr%3Ftype%3D%25d&pid=64&priority=2&validity=60&deferred=5&rpi=1&mclass=1&charset=UTF-8';
  t.deepEqual(await send(query, f), accepted);
  t.deepEqual(f.accepted, [[{
    id: 'id1',
    user: 'named',
    userName: 'Shop Inc',
    from: 'Shop',
    to: '+358401',
    dataCoding: 0xf1,
    esmClass: 0x80,
    parts: [Buffer.from('Hello').toString('base64')],
    dlrMask: 3,
    dlrUrl: 'http://app/dlr?type=%d',
    text: 'Hello',
    coding: 0,
    charset: 'UTF-8',
    protocolId: 64,
    priority: 2,
    validityMinutes: 60,
    deferredMinutes: 5,
    acceptedAt: 1_700_000_000_000,
  }]]);
});

test('a validity or deferred of hundreds of digits is stored as C\'s largest int, not Infinity', async (t) => {
  const f = fake();
  t.deepEqual(await send(`${OK}&validity=${'7'.repeat(400)}&deferred=${'9'.repeat(20)}`, f), accepted);
  t.like(f.accepted[0]?.[0], { validityMinutes: 2_147_483_647, deferredMinutes: 2_147_483_647 });
});

test('fields at -1 are stored as not given', async (t) => {
  const f = fake();
  await send(`${OK}&pid=-1&priority=-1&validity=-1&deferred=-1&dlr-mask=-1&dlr-url=http%3A%2F%2Fapp%2F`, f);
  const [stored] = f.accepted[0] ?? [];
  t.like(stored, { dlrMask: 0 });
  for (const key of ['protocolId', 'priority', 'validityMinutes', 'deferredMinutes'] as const) t.false(key in (stored ?? {}), key);
});

test('a dlr-mask without a dlr-url asks for nothing; the account\'s dlr-url serves when the request has none', async (t) => {
  const f = fake();
  await send(`${OK}&dlr-mask=3`, f);
  await send('username=defaults&password=secret&to=123&dlr-mask=3', f);
  await send('username=defaults&password=secret&to=123&dlr-mask=3&dlr-url=http%3A%2F%2Fmine%2F', f);
  t.deepEqual(f.accepted.map(([stored]) => [stored?.dlrMask, stored?.dlrUrl]), [[0, undefined], [3, 'http://app.example/dlr?t=%d'], [3, 'http://mine/']]);
});

test('coding=1 keeps the text\'s bytes as they came', async (t) => {
  const f = fake();
  await send('username=app&password=secret&to=123&from=Me&coding=1&text=%00%FF%80A', f);
  const [stored] = f.accepted[0] ?? [];
  t.deepEqual(Buffer.from(stored?.parts[0] ?? '', 'base64'), Buffer.from([0x00, 0xff, 0x80, 0x41]));
  t.is(stored?.dataCoding, 0x04);
  t.is(stored?.text, '\u0000\u00ff\u0080A');
});

test('a UDH without a coding makes the message 8-bit (smsbox\'s compatibility mode)', async (t) => {
  const f = fake();
  await send('username=app&password=secret&to=123&from=Me&udh=%05%00%03%01%02%01&text=A', f);
  const [stored] = f.accepted[0] ?? [];
  t.deepEqual(Buffer.from(stored?.parts[0] ?? '', 'base64'), Buffer.from([5, 0, 3, 1, 2, 1, 0x41]));
  t.like(stored, { dataCoding: 0x04, esmClass: 0x40, coding: 1, udh: '050003010201' });
});
