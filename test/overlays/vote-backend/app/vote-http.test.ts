import test from 'ava';
import { startTestService } from './vote-http-fixtures.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const post = (url: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) =>
  fetch(`${url}/votes`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

test('a JSON vote is answered 202 once stored, with a message a page can show and the vote\'s id', async (t) => {
  const service = await startTestService(t);
  const response = await post(service.url, { poll: 'show', choice: 'a', voter: 'dev-1' });
  t.is(response.status, 202);
  t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
  const answer = await response.json() as { ok: boolean; message: string; id: string };
  t.like(answer, { ok: true, message: 'Thank you! Your vote for Alpha is in.' });
  t.like(service.store.votes, [{ id: answer.id, poll: 'show', choice: 'a', voter: 'dev-1', address: '127.0.0.1' }]);
  t.is(service.nudges, 1);
  t.is(service.metrics.snapshot().accepted, 1);
});

test('a form post is a vote too', async (t) => {
  const service = await startTestService(t);
  const response = await post(service.url, 'poll=show&choice=b', { 'Content-Type': 'application/x-www-form-urlencoded' });
  t.is(response.status, 202);
  t.like(service.store.votes, [{ poll: 'show', choice: 'b' }]);
});

test('a vote sent again with the same Idempotency-Key is answered the same, with the same id', async (t) => {
  const service = await startTestService(t, { limits: { perVoter: { max: 1, windowSeconds: 60 } } });
  const headers = { ...JSON_HEADERS, 'Idempotency-Key': '"k-1"' };
  const first = await post(service.url, { poll: 'show', choice: 'a', voter: 'dev-1' }, headers);
  const again = await post(service.url, { poll: 'show', choice: 'a', voter: 'dev-1' }, headers);
  t.is(first.status, 202);
  t.is(again.status, 202, 'not counted against the per-voter limit of 1');
  t.deepEqual(await again.json(), await first.json());
  t.is(service.store.votes[0]!.id, service.store.votes[1]!.id, 'the database keeps one row of the two');
});

test('an Idempotency-Key used again for another vote is refused 422 and nothing is stored', async (t) => {
  const service = await startTestService(t);
  await post(service.url, { poll: 'show', choice: 'a' }, { ...JSON_HEADERS, 'Idempotency-Key': '"k-1"' });
  const response = await post(service.url, { poll: 'show', choice: 'b' }, { ...JSON_HEADERS, 'Idempotency-Key': '"k-1"' });
  t.is(response.status, 422);
  t.like(await response.json(), { ok: false, reason: 'key_conflict' });
  t.is(service.store.votes.length, 1);
});

const refused = test.macro({
  async exec(t, request: { body: string; headers?: Record<string, string>; at?: string }, expected: { status: number; reason: string; message: RegExp; headers?: Record<string, string> }) {
    const service = await startTestService(t);
    if (request.at) service.clock.now = Date.parse(request.at);
    const response = await post(service.url, request.body, request.headers ?? JSON_HEADERS);
    t.is(response.status, expected.status);
    const answer = await response.json() as { ok: boolean; message: string; reason: string };
    t.like(answer, { ok: false, reason: expected.reason });
    t.regex(answer.message, expected.message);
    for (const [name, value] of Object.entries(expected.headers ?? {})) t.is(response.headers.get(name), value, name);
    t.is(service.store.votes.length, 0);
    t.deepEqual(service.metrics.snapshot().rejected, { [expected.reason]: 1 });
  },
  title: (given) => `a vote is refused with a message a page can show: ${given}`,
});

test('malformed JSON', refused, { body: '{"poll": "show", ' }, { status: 400, reason: 'malformed', message: /the body is not JSON/ });
test('a body too large', refused, { body: JSON.stringify({ poll: 'show', choice: 'a', pad: 'x'.repeat(5000) }) }, { status: 413, reason: 'too_large', message: /larger than 4096 bytes/, headers: { connection: 'close' } });
test('an unknown poll', refused, { body: '{"poll":"nope","choice":"a"}' }, { status: 404, reason: 'unknown_poll', message: /there is no poll "nope"/ });
test('an unknown choice', refused, { body: '{"poll":"show","choice":"z"}' }, { status: 422, reason: 'unknown_choice', message: /has no choice "z"/ });
test('a closed poll', refused, { body: '{"poll":"show","choice":"a"}', at: '2026-06-01T21:00:00Z' }, { status: 403, reason: 'poll_closed', message: /is closed/ });
test('a poll not yet open', refused, { body: '{"poll":"show","choice":"a"}', at: '2026-06-01T18:00:00Z' }, { status: 403, reason: 'poll_not_open', message: /opens at 2026-06-01T19:00:00.000Z/ });
test('an unsupported media type', refused, { body: 'a', headers: { 'Content-Type': 'text/plain' } }, { status: 415, reason: 'unsupported_media_type', message: /application\/json/ });

test('a voter over the per-voter limit gets 429 with Retry-After', async (t) => {
  const service = await startTestService(t, { limits: { perVoter: { max: 1, windowSeconds: 60 } } });
  t.is((await post(service.url, { poll: 'show', choice: 'a', voter: 'v1' })).status, 202);
  const response = await post(service.url, { poll: 'show', choice: 'b', voter: 'v1' });
  t.is(response.status, 429);
  t.is(response.headers.get('retry-after'), '61', 'a window after the vote, and a moment');
  t.like(await response.json(), { ok: false, reason: 'voter_limit', message: 'that is as many votes from you in this poll as we take for now; try again in 61 s' });
  t.is((await post(service.url, { poll: 'always', choice: 'x', voter: 'v1' })).status, 202, 'the limit is per poll');
});

test('an address over the per-address limit gets 429', async (t) => {
  const service = await startTestService(t, { limits: { perAddress: { max: 2, windowSeconds: 600 } } });
  for (const voter of ['a', 'b']) t.is((await post(service.url, { poll: 'show', choice: 'a', voter })).status, 202);
  const response = await post(service.url, { poll: 'show', choice: 'a', voter: 'c' });
  t.is(response.status, 429);
  t.like(await response.json(), { reason: 'address_limit' });
});

test('a vote the journal cannot take is 503 with Retry-After, and does not count against the limits', async (t) => {
  const service = await startTestService(t, { limits: { perVoter: { max: 1, windowSeconds: 60 } }, retryAfterSeconds: 7 });
  service.store.unavailable = '2000000 votes are waiting for the database, the most this server holds';
  const response = await post(service.url, { poll: 'show', choice: 'a', voter: 'v1' });
  t.is(response.status, 503);
  t.is(response.headers.get('retry-after'), '7');
  t.like(await response.json(), { ok: false, reason: 'unavailable', message: 'votes cannot be taken right now (2000000 votes are waiting for the database, the most this server holds); try again in 7 s' });
  service.store.unavailable = undefined;
  t.is((await post(service.url, { poll: 'show', choice: 'a', voter: 'v1' })).status, 202);
});

test('a vote from a page origin carries the CORS headers; from a foreign origin it does not', async (t) => {
  const service = await startTestService(t, { corsOrigins: ['https://vote.example.com'] });
  const page = await post(service.url, { poll: 'show', choice: 'a' }, { ...JSON_HEADERS, Origin: 'https://vote.example.com' });
  t.is(page.headers.get('access-control-allow-origin'), 'https://vote.example.com');
  t.is(page.headers.get('vary'), 'Origin');
  const foreign = await post(service.url, { poll: 'show', choice: 'a' }, { ...JSON_HEADERS, Origin: 'https://evil.example.org' });
  t.is(foreign.headers.get('access-control-allow-origin'), null);
});

test('a preflight is answered 204 for a page origin and 403 for a foreign one', async (t) => {
  const service = await startTestService(t, { corsOrigins: ['https://vote.example.com'] });
  const preflight = (origin: string) => fetch(`${service.url}/votes`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,idempotency-key' } });
  const allowed = await preflight('https://vote.example.com');
  t.is(allowed.status, 204);
  t.is(allowed.headers.get('access-control-allow-headers'), 'content-type, idempotency-key');
  t.is((await preflight('https://evil.example.org')).status, 403);
});

test('results are the database\'s counts for each choice; an unknown poll is 404; a database away is 503', async (t) => {
  const service = await startTestService(t);
  await service.database.insert([{ seq: 1, id: '1', poll: 'show', choice: 'b', at: 0 }]);
  const response = await fetch(`${service.url}/polls/show/results`);
  t.is(response.status, 200);
  t.like(await response.json(), { ok: true, poll: 'show', total: 1, counts: [{ choice: 'a', votes: 0 }, { choice: 'b', votes: 1 }] });
  t.is((await fetch(`${service.url}/polls/nope/results`)).status, 404);
  t.is((await fetch(`${service.url}/polls/%E0%A4%A/results`)).status, 404, 'a broken percent-encoding is no poll, not a 500');
  service.database.failing = new Error('gone');
  service.clock.now += 5000;
  const away = await fetch(`${service.url}/polls/show/results`);
  t.is(away.status, 503);
  t.is(away.headers.get('retry-after'), '5');
});

test('GET /polls lists the polls and their choices', async (t) => {
  const service = await startTestService(t);
  const answer = await (await fetch(`${service.url}/polls`)).json() as { polls: { id: string }[] };
  t.deepEqual(answer.polls.map((poll) => poll.id), ['show', 'always']);
});

test('/healthz is 200 while healthy and 503 when not; /metrics is Prometheus text', async (t) => {
  const service = await startTestService(t);
  t.is((await fetch(`${service.url}/healthz`)).status, 200);
  service.health = { ok: false, problems: ['broken'] };
  const unhealthy = await fetch(`${service.url}/healthz`);
  t.is(unhealthy.status, 503);
  t.like(await unhealthy.json(), { ok: false, problems: ['broken'] });
  const metrics = await fetch(`${service.url}/metrics`);
  t.is(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  t.regex(await metrics.text(), /^mcdebian_vote_accepted_total 0$/m);
});

test('the trial page is served at / when enabled, and not otherwise', async (t) => {
  const service = await startTestService(t);
  const page = await fetch(`${service.url}/`);
  t.is(page.status, 200);
  t.regex(await page.text(), /<meta name="viewport"/);
  const off = await startTestService(t, { page: false });
  t.is((await fetch(`${off.url}/`)).status, 404);
});

test('GET /votes is 405 with Allow, and other methods elsewhere are 405', async (t) => {
  const service = await startTestService(t);
  const response = await fetch(`${service.url}/votes`);
  t.is(response.status, 405);
  t.is(response.headers.get('allow'), 'POST, OPTIONS');
  t.is((await fetch(`${service.url}/polls`, { method: 'DELETE' })).status, 405);
});
