/** The admin API end to end on loopback, with the in-memory updater standing in for BIND. */
import test from 'ava';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { hashPassword } from '../../../../overlays/dns-blacklist/app/password.js';
import { basic, HeldVerifier, SlowMemoryUpdater, startApi, waitUntil, type ApiUnderTest } from './fakes.js';

const PASSWORD = 'correct horse battery';
const HASH = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
const ADMIN = { Authorization: basic('admin', PASSWORD) };

async function call(api: ApiUnderTest, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...ADMIN, ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, unknown> };
}

test('health answers without a login', async (t) => {
  const api = await startApi(t, HASH);
  const response = await call(api, 'GET', '/health', { headers: { Authorization: '' } });
  t.deepEqual([response.status, response.body], [200, { status: 'ok' }]);
});

test('the domain routes need a login: 401 with a Basic challenge', async (t) => {
  const api = await startApi(t, HASH);
  const response = await fetch(`${api.url}/domains`);
  t.is(response.status, 401);
  t.is(response.headers.get('www-authenticate'), 'Basic realm="McDebian DNS blacklist", charset="UTF-8"');
  t.deepEqual(api.log.lines, [], 'asking for the login is not a failed login');
});

test('a wrong password or user name is 401 and is logged with the client address', async (t) => {
  const api = await startApi(t, HASH);
  t.is((await call(api, 'GET', '/domains', { headers: { Authorization: basic('admin', 'guess') } })).status, 401);
  t.is((await call(api, 'GET', '/domains', { headers: { Authorization: basic('root', PASSWORD) } })).status, 401);
  t.is((await call(api, 'GET', '/domains', { headers: { Authorization: 'Bearer abc' } })).status, 401);
  t.deepEqual(api.log.lines, [
    'warn: api: failed login as "admin" from 127.0.0.1',
    'warn: api: failed login as "root" from 127.0.0.1',
    'warn: api: failed login as "" from 127.0.0.1',
  ]);
});

test('after five failed logins the client gets 429 with Retry-After, even with the right password, until the window passes', async (t) => {
  const api = await startApi(t, HASH);
  const wrong = { headers: { Authorization: basic('admin', 'guess') } };
  for (let i = 0; i < 5; i++) t.is((await call(api, 'GET', '/domains', wrong)).status, 401);
  const limited = await call(api, 'GET', '/domains', wrong);
  t.is(limited.status, 429);
  t.is(limited.headers.get('retry-after'), '60');
  t.is((await call(api, 'GET', '/domains')).status, 429);
  api.clock.now += 60_001;
  t.is((await call(api, 'GET', '/domains')).status, 200);
});

test('parallel guesses cannot slip past the limit', async (t) => {
  const api = await startApi(t, HASH);
  const statuses = await Promise.all(Array.from({ length: 20 }, () => call(api, 'GET', '/domains', { headers: { Authorization: basic('admin', 'guess') } }).then((r) => r.status)));
  t.is(statuses.filter((status) => status === 401).length, 5);
  t.is(statuses.filter((status) => status === 429).length, 15);
});

/**
 * GET /domains on a connection of its own from `from` (any 127.0.0.0/8 address is this host's),
 * sent but for its last line end: `fire()` completes it, so many arrive together.
 */
async function armedRequest(url: string, from: string, authorization: string) {
  const port = Number(new URL(url).port);
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const answer = new Promise<{ status: number; text: string }>((resolve) => {
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text }));
  });
  socket.on('error', () => undefined);
  socket.write(`GET /domains HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${authorization}\r\nConnection: close\r\n`);
  return { fire: () => socket.write('\r\n'), answer, socket };
}

test('forty wrong logins at once from forty addresses: five are hashed, the rest and the admin get 503 with Retry-After at once; the admin then gets in', async (t) => {
  const verifier = new HeldVerifier();
  const api = await startApi(t, HASH, { verify: verifier.verify });
  const attackers = await Promise.all(Array.from({ length: 40 }, (_, i) => armedRequest(api.url, `127.0.0.${i + 2}`, basic('admin', `guess-${i}`))));
  const admin = await armedRequest(api.url, '127.0.0.1', basic('admin', PASSWORD));
  let answered = 0;
  for (const request of [...attackers, admin]) void request.answer.then(() => answered++);
  for (const request of [...attackers, admin]) request.fire();
  // the turned-away ones are answered while the checks let in are still held
  await waitUntil(() => answered >= 36, 'the requests beyond the queue are answered');
  verifier.open();
  const answers = await Promise.all(attackers.map((request) => request.answer));
  t.deepEqual(answers.map((answer) => answer.status).sort(), [...Array(5).fill(401), ...Array(35).fill(503)]);
  const first = await admin.answer;
  t.is(first.status, 503);
  t.regex(first.text, /\r\nRetry-After: \d+\r\n/i);
  t.regex(first.text, /too many logins are being checked; try again in \d+ s/);
  t.is((await call(api, 'GET', '/domains')).status, 200, 'the retry is checked');
  t.is(verifier.calls.length, 6, 'five guesses and the admin\'s retry were hashed, nothing else');
  t.is(api.log.lines.filter((line) => line.includes('failed login')).length, 5, 'a guess turned away was never checked, so never failed');
});

test('a login whose connection closes while it waits for its check is never hashed', async (t) => {
  const verifier = new HeldVerifier();
  const api = await startApi(t, HASH, { verify: verifier.verify });
  const running = await armedRequest(api.url, '127.0.0.2', basic('admin', 'guess-running'));
  const leaving = await armedRequest(api.url, '127.0.0.3', basic('admin', 'guess-leaving'));
  running.fire();
  await waitUntil(() => verifier.calls.length === 1, 'the first check runs');
  leaving.fire();
  await waitUntil(() => api.hashing.waiting === 1, 'the second check waits');
  leaving.socket.destroy();
  await waitUntil(() => api.hashing.waiting === 0, 'the second check leaves the queue');
  verifier.open();
  t.is((await running.answer).status, 401);
  t.deepEqual(verifier.calls, ['guess-running']);
});

test('one domain is added, listed and removed, and each answer says what changed', async (t) => {
  const api = await startApi(t, HASH);
  t.deepEqual((await call(api, 'PUT', '/domains/Ads.Example.')).body, { added: ['ads.example'], alreadyBlocked: [] });
  t.deepEqual((await call(api, 'PUT', '/domains/ads.example')).body, { added: [], alreadyBlocked: ['ads.example'] });
  t.deepEqual((await call(api, 'PUT', '/domains/B%C3%BCcher.example')).body, { added: ['xn--bcher-kva.example'], alreadyBlocked: [] });
  t.deepEqual((await call(api, 'GET', '/domains')).body, { domains: ['ads.example', 'xn--bcher-kva.example'] });
  t.deepEqual((await call(api, 'DELETE', '/domains/ads.example')).body, { removed: ['ads.example'], notBlocked: [] });
  t.deepEqual((await call(api, 'DELETE', '/domains/ads.example')).body, { removed: [], notBlocked: ['ads.example'] });
  t.deepEqual([...api.updater.domains], ['xn--bcher-kva.example']);
  t.true(api.log.lines.includes('info: api: "admin" from 127.0.0.1 blocked 1: ads.example'));
  t.true(api.log.lines.includes('info: api: "admin" from 127.0.0.1 unblocked 1: ads.example'));
});

test('a batch adds and removes in one update', async (t) => {
  const api = await startApi(t, HASH);
  t.deepEqual((await call(api, 'POST', '/domains', { body: { add: ['a.example', 'b.example', 'c.example'] } })).body,
    { added: ['a.example', 'b.example', 'c.example'], alreadyBlocked: [], removed: [], notBlocked: [] });
  const runs = api.updater.applyRuns;
  t.deepEqual((await call(api, 'POST', '/domains', { body: { add: ['d.example', 'a.example'], remove: ['b.example', 'never.example'] } })).body,
    { added: ['d.example'], alreadyBlocked: ['a.example'], removed: ['b.example'], notBlocked: ['never.example'] });
  t.is(api.updater.applyRuns, runs + 1);
  t.deepEqual((await call(api, 'GET', '/domains')).body, { domains: ['a.example', 'c.example', 'd.example'] });
});

test('a batch with one invalid entry is 400, names the entry, and changes nothing', async (t) => {
  const api = await startApi(t, HASH);
  await call(api, 'PUT', '/domains/keep.example');
  const runs = api.updater.applyRuns;
  const response = await call(api, 'POST', '/domains', { body: { add: ['new.example', 'evil.example\nupdate delete keep.example.rpz.mcdebian.'], remove: ['keep.example'] } });
  t.is(response.status, 400);
  t.is(response.body.error, 'invalid domain name: "evil.example\\nupdate delete keep.example.rpz.mcdebian." contains a newline; nothing was changed');
  t.deepEqual(response.body.invalid, [{ entry: 'evil.example\nupdate delete keep.example.rpz.mcdebian.', index: 1, reason: 'contains a newline' }]);
  t.is(api.updater.applyRuns, runs);
  t.deepEqual([...api.updater.domains], ['keep.example']);
});

const refusedInPath = test.macro({
  async exec(t, path: string, reason: RegExp) {
    const api = await startApi(t, HASH);
    const response = await call(api, 'PUT', path);
    t.is(response.status, 400);
    t.regex(String(response.body.error), reason);
    t.is(api.updater.applyRuns, 0);
  },
  title: (given) => `PUT of ${given} is 400 and reaches no update`,
});

test('a newline and a second command', refusedInPath, '/domains/a.example%0Asend', /contains a newline/);
test('a semicolon', refusedInPath, '/domains/a.example%3B', /contains ";"/);
test('a quote', refusedInPath, '/domains/a%22.example', /contains a quote/);
test('a space', refusedInPath, '/domains/a%20b.example', /contains a space/);
test('the zone itself', refusedInPath, '/domains/rpz.mcdebian', /own zone/);
test('a single label', refusedInPath, '/domains/com', /single label/);
test('broken percent-encoding', refusedInPath, '/domains/%E0%A4%A', /not valid percent-encoding/);

test('50 concurrent adds all end up in the zone, one update at a time, committed in groups', async (t) => {
  const api = await startApi(t, HASH);
  const names = Array.from({ length: 50 }, (_, i) => `host${i}.ads.example`);
  const responses = await Promise.all(names.map((name) => call(api, 'PUT', `/domains/${name}`)));
  t.true(responses.every((response) => response.status === 200 && (response.body.added as string[]).length === 1));
  t.deepEqual((await call(api, 'GET', '/domains')).body.domains, [...names].sort());
  t.is(api.updater.maxInFlight, 1);
  t.true(api.updater.applyRuns < 50, `${api.updater.applyRuns} updates for 50 requests`);
});

test('the fake updater would lose updates if the API did not serialise them', async (t) => {
  const updater = new SlowMemoryUpdater();
  await Promise.all(['a.example', 'b.example', 'c.example'].map((name) => updater.apply({ add: [name], remove: [] })));
  t.true(updater.domains.size < 3);
});

test('a failing nsupdate is 502 with its complaint, and the zone is unchanged', async (t) => {
  const api = await startApi(t, HASH);
  api.updater.failure = 'update failed: REFUSED';
  const response = await call(api, 'PUT', '/domains/ads.example');
  t.is(response.status, 502);
  t.is(response.body.error, 'nsupdate exited with code 2: update failed: REFUSED; nothing was changed');
  t.true(api.log.lines.includes('error: api: nsupdate exited with code 2: update failed: REFUSED; nothing was changed'));
  api.updater.failure = undefined;
  t.deepEqual((await call(api, 'GET', '/domains')).body, { domains: [] });
});

test('a batch that fails after part of it reached the zone is 502, taken back whole, and says nothing changed', async (t) => {
  const api = await startApi(t, HASH);
  await call(api, 'PUT', '/domains/keep.example');
  Object.assign(api.updater, { failure: 'update failed: SERVFAIL', appliedBeforeFailure: 3, failuresLeft: 1 });
  const response = await call(api, 'POST', '/domains', { body: { add: ['a.example', 'b.example', 'c.example', 'd.example'], remove: ['keep.example'] } });
  t.is(response.status, 502);
  t.regex(String(response.body.error), /SERVFAIL; nothing was changed$/);
  t.deepEqual((await call(api, 'GET', '/domains')).body, { domains: ['keep.example'] });
});

test('a body over the limit is 413 before it is read', async (t) => {
  const api = await startApi(t, HASH, { maxBodyBytes: 1024 });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${api.url}/domains`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/json', 'Content-Length': 1024 * 1024 } }, (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.write('{"add": [');
  });
  t.is(status, 413);
});

test('a streamed body that grows past the limit is 413', async (t) => {
  const api = await startApi(t, HASH, { maxBodyBytes: 1024 });
  const names = Array.from({ length: 200 }, (_, i) => `host${i}.example`);
  const response = await fetch(`${api.url}/domains`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/json' }, body: JSON.stringify({ add: names }) });
  t.is(response.status, 413);
  t.is(api.updater.applyRuns, 0);
});

test('a batch of more names than allowed is 413', async (t) => {
  const api = await startApi(t, HASH, { maxBatch: 10 });
  const response = await call(api, 'POST', '/domains', { body: { add: Array.from({ length: 11 }, (_, i) => `h${i}.example`) } });
  t.is(response.status, 413);
  t.regex(String(response.body.error), /11 names in one batch; at most 10/);
});

const badBatch = test.macro({
  async exec(t, body: unknown, error: RegExp) {
    const api = await startApi(t, HASH);
    const response = await call(api, 'POST', '/domains', { body });
    t.is(response.status, 400);
    t.regex(String(response.body.error), error);
  },
  title: (given) => `a batch ${given} is 400`,
});

test('that is not JSON', badBatch, '{"add": [', /not JSON/);
test('nested 100,000 arrays deep', badBatch, `{"add": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /nests arrays and objects more than 8 deep/);
test('nested 100,000 objects deep', badBatch, `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, /nests arrays and objects more than 8 deep/);
test('with an entry that is an array', badBatch, { add: [['a.example']] }, /invalid domain name: "\[\.\.\.\]" is not a string/);
test('that is an array', badBatch, ['a.example'], /must be a JSON object/);
test('with an unknown field', badBatch, { domains: ['a.example'] }, /unknown field "domains"/);
test('whose add is not an array', badBatch, { add: 'a.example' }, /must be arrays/);
test('that adds and removes the same name', badBatch, { add: ['a.example'], remove: ['A.example.'] }, /a\.example is both in "add" and in "remove"/);

const notJson = test.macro({
  async exec(t, contentType: string | undefined) {
    const api = await startApi(t, HASH);
    // what a web page can send cross-site without a CORS preflight, with the browser's cached login
    const response = await fetch(`${api.url}/domains`, {
      method: 'POST',
      headers: { ...ADMIN, ...(contentType === undefined ? {} : { 'Content-Type': contentType }) },
      body: contentType === undefined ? undefined : JSON.stringify({ add: ['evil.example'] }),
    });
    t.is(response.status, 415);
    t.regex(String((await response.json() as { error: string }).error), /must be JSON sent with Content-Type: application\/json; this request has .*; nothing was changed/);
    t.is(api.updater.applyRuns, 0);
  },
  title: (given) => `a POST ${given} is 415 and changes nothing`,
});

test('with a JSON body sent as text/plain', notJson, 'text/plain;charset=UTF-8');
test('with a JSON body sent as a form', notJson, 'application/x-www-form-urlencoded');
test('with a JSON body sent as multipart', notJson, 'multipart/form-data; boundary=x');
test('with a JSON-like type that is not JSON', notJson, 'application/jsonp');
test('without a Content-Type or a body', notJson, undefined);

test('application/json is accepted in any case and with parameters', async (t) => {
  const api = await startApi(t, HASH);
  const response = await call(api, 'POST', '/domains', { body: { add: ['a.example'] }, headers: { 'Content-Type': 'Application/JSON; charset=utf-8' } });
  t.is(response.status, 200);
  t.deepEqual([...api.updater.domains], ['a.example']);
});

test('a PUT that carries a body not declared JSON is 415', async (t) => {
  const api = await startApi(t, HASH);
  const response = await fetch(`${api.url}/domains/a.example`, { method: 'PUT', headers: ADMIN, body: 'anything' });
  t.is(response.status, 415);
  t.is(api.updater.applyRuns, 0);
});

const crossSite = test.macro({
  async exec(t, headers: (url: string) => Record<string, string>) {
    const verifier = new HeldVerifier();
    verifier.open();
    const api = await startApi(t, HASH, { verify: verifier.verify });
    const response = await call(api, 'POST', '/domains', { body: { add: ['evil.example'] }, headers: headers(api.url) });
    t.is(response.status, 403);
    t.regex(String(response.body.error), /browser request .* is refused/);
    t.is(api.updater.applyRuns, 0);
    t.deepEqual(verifier.calls, [], 'refused before any password check');
  },
  title: (given) => `a browser request ${given} is 403 before the login is checked`,
});

test('from another origin', crossSite, () => ({ Origin: 'http://evil.example' }));
test('from the same host on another port (the blocked page)', crossSite, (url) => ({ Origin: url.replace(/:\d+$/, ':80') }));
test('from an opaque origin', crossSite, () => ({ Origin: 'null' }));
test('that Fetch Metadata marks cross-site', crossSite, () => ({ 'Sec-Fetch-Site': 'cross-site' }));
test('that Fetch Metadata marks same-site but not same-origin', crossSite, () => ({ 'Sec-Fetch-Site': 'same-site' }));

test('browser requests from the API\'s own origin, and clients that send neither header, are served', async (t) => {
  const api = await startApi(t, HASH);
  const own: Record<string, string>[] = [{ Origin: api.url }, { Origin: api.url.replace('127.0.0.1', '127.000.000.001') }, { 'Sec-Fetch-Site': 'same-origin', Origin: api.url }, { 'Sec-Fetch-Site': 'none' }, {}];
  for (const headers of own) t.is((await call(api, 'PUT', '/domains/a.example', { headers })).status, 200, JSON.stringify(headers));
});

test('an unknown route is 404 and a wrong method 405 with Allow', async (t) => {
  const api = await startApi(t, HASH);
  t.is((await call(api, 'GET', '/nothing')).status, 404);
  t.is((await call(api, 'GET', '/domains/')).status, 404);
  const wrong = await call(api, 'PATCH', '/domains/a.example');
  t.is(wrong.status, 405);
  t.is(wrong.headers.get('allow'), 'PUT, DELETE');
  t.is((await call(api, 'DELETE', '/domains')).headers.get('allow'), 'GET, POST');
});

test('answers are JSON and never cached', async (t) => {
  const api = await startApi(t, HASH);
  const response = await call(api, 'GET', '/domains');
  t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(response.headers.get('cache-control'), 'no-store');
});
