/**
 * Fuzzing POST /votes: arbitrary methods, bodies (well-formed and broken JSON and forms, any
 * JSON value, random bytes, bodies over the limit) and headers (Content-Type, Idempotency-Key,
 * Origin, others) sent over loopback HTTP to the vote handler with a store in memory. The
 * properties: the handler never fails (no 500, nothing in its error log); every answer is JSON
 * `{ok, message}` with a 2xx, 4xx or 503 status, ok exactly when it is 202; every 202 stored
 * exactly one vote and every other answer none; and what is stored is what the body said, read
 * independently with JSON.parse or URLSearchParams: a configured poll, one of its choices, the
 * voter as sent, a well-formed id, the client's address, nothing more.
 */
import test from 'ava';
import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { isVoteId } from '../../../../overlays/vote-backend/app/vote-id.js';
import { testConfig } from './fixtures.js';
import { startTestService } from './vote-http-fixtures.js';

const CONFIG = { limits: { perVoter: { max: 3, windowSeconds: 60 }, maxBodyBytes: 1024 }, corsOrigins: ['https://vote.example.com'] };
const POLLS = new Map(testConfig(CONFIG).polls.map((poll) => [poll.id, new Set(poll.choices.map((choice) => choice.id))]));

/** What Node's client lets through in a header value (its checkInvalidHeaderChar): tab, visible ASCII and space, and latin1's upper half. */
const headerText = fc.string({ unit: fc.oneof(fc.constant('\t'), fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code))), maxLength: 80 });

/** Ids: mostly the configured ones (so that votes get through), else anything. */
const id = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('show', 'always', 'a', 'b', 'x') },
  { weight: 2, arbitrary: fc.constantFrom('z', 'nope', '', 'Show', 'show ', 'a'.repeat(65)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 70 }) },
);
const voter = fc.option(fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,20}$/) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constant('v'.repeat(129)), fc.integer()) },
), { nil: undefined, freq: 2 });
const anyFields = fc.record({
  poll: fc.oneof({ weight: 9, arbitrary: id }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant(['show'])) }),
  choice: fc.oneof({ weight: 9, arbitrary: id }, { weight: 1, arbitrary: fc.boolean() }),
  voter,
}, { requiredKeys: [] });
/** A configured poll and one of its choices, and maybe a voter: what a page sends. */
const pageFields = fc.tuple(fc.constantFrom(['show', 'a'], ['show', 'b'], ['always', 'x']), voter).map(([[poll, choice], who]) => ({ poll, choice, ...(who === undefined ? {} : { voter: who }) }));
const fields = fc.oneof(pageFields, anyFields);

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: fields.map((value) => Buffer.from(JSON.stringify(value))) },
  { weight: 2, arbitrary: fields.map((value) => Buffer.from(new URLSearchParams(Object.entries(value).map(([key, text]): [string, string] => [key, String(text)])).toString())) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.tuple(fields, fc.integer({ min: 900, max: 3000 })).map(([value, pad]) => Buffer.from(JSON.stringify({ ...value, pad: 'x'.repeat(pad) }))) },
);

const contentType = fc.option(fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/x-www-form-urlencoded') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'multipart/form-data; boundary=x', '') },
  { weight: 1, arbitrary: headerText },
), { nil: undefined, freq: 4 });

const idempotencyKey = fc.option(fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,40}$/).map((key) => `"${key}"`) },
  { weight: 1, arbitrary: fc.constantFrom('"k1"', '"k2"', 'k1', '""', '"a\\"b"') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }).map((key) => `"${key}"`), headerText) },
), { nil: undefined, freq: 2 });

const vote = fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') }),
  path: fc.constantFrom('/votes', '/votes?poll=show&choice=a', '/votes/'),
  body,
  contentType,
  idempotencyKey,
  origin: fc.option(fc.oneof(fc.constantFrom('https://vote.example.com', 'https://evil.example.org', 'null'), headerText), { nil: undefined }),
  extra: fc.option(fc.tuple(fc.constantFrom('x-forwarded-for', 'accept', 'x-junk', 'content-encoding'), headerText), { nil: undefined }),
});

type Request = typeof vote extends fc.Arbitrary<infer T> ? T : never;

/** One request on its own connection-pooled agent; the answer's status, content type and body. */
function send(url: string, agent: Agent, given: Request): Promise<{ status: number; type: string | undefined; text: string }> {
  const headers: Record<string, string> = { 'Content-Length': String(given.body.length) };
  if (given.contentType !== undefined) headers['Content-Type'] = given.contentType;
  if (given.idempotencyKey !== undefined) headers['Idempotency-Key'] = given.idempotencyKey;
  if (given.origin !== undefined) headers.Origin = given.origin;
  if (given.extra) headers[given.extra[0]] = given.extra[1];
  return new Promise((resolve, reject) => {
    const outgoing = request(`${url}${given.path}`, { method: given.method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(given.body);
  });
}

/** The vote's fields as the body says them, read without the service's code. */
function readIndependently(given: Request): Record<string, unknown> | undefined {
  const type = (given.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = given.body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

test('any request to /votes is answered JSON {ok, message} without a server error, and only well-formed votes are stored', async (t) => {
  const service = await startTestService(t, CONFIG);
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  await fc.assert(
    fc.asyncProperty(vote, async (given) => {
      const before = service.store.votes.length;
      const answer = await send(service.url, agent, given);
      const ok = (answer.status >= 200 && answer.status < 300) || (answer.status >= 400 && answer.status < 500) || answer.status === 503;
      if (!ok) throw new Error(`status ${answer.status}: ${answer.text}`);
      if (!answer.type?.startsWith('application/json')) throw new Error(`not JSON: ${answer.type}`);
      const parsed = JSON.parse(answer.text) as { ok?: unknown; message?: unknown };
      if (typeof parsed.ok !== 'boolean' || typeof parsed.message !== 'string' || parsed.message === '') throw new Error(`not {ok, message}: ${answer.text}`);
      if (parsed.ok !== (answer.status === 202)) throw new Error(`ok ${parsed.ok} with status ${answer.status}`);
      const stored = service.store.votes.slice(before);
      if (stored.length !== (answer.status === 202 ? 1 : 0)) throw new Error(`${stored.length} votes stored for a ${answer.status}`);
      if (stored.length === 0) return;
      const [taken] = stored;
      const sent = readIndependently(given);
      const expectedVoter = sent?.voter === '' ? undefined : sent?.voter;
      if (!sent || taken!.poll !== sent.poll || taken!.choice !== sent.choice || taken!.voter !== expectedVoter) {
        throw new Error(`stored ${JSON.stringify(taken)} for a body saying ${JSON.stringify(sent)}`);
      }
      if (!POLLS.get(taken!.poll)?.has(taken!.choice)) throw new Error(`stored a vote for no configured choice: ${JSON.stringify(taken)}`);
      if (!isVoteId(taken!.id) || taken!.address !== '127.0.0.1') throw new Error(`stored id or address wrong: ${JSON.stringify(taken)}`);
      if (Object.keys(taken!).some((key) => !['seq', 'id', 'poll', 'choice', 'voter', 'address', 'at'].includes(key))) throw new Error(`stored more than a vote: ${JSON.stringify(taken)}`);
    }),
    { numRuns: 5000, interruptAfterTimeLimit: 30_000 },
  );
  t.deepEqual(service.log.lines.filter((line) => /request failed|Error/.test(line)), []);
  t.true(service.store.votes.length > 0, 'some well-formed votes got through');
  t.log(`${service.store.votes.length} votes stored; refused: ${JSON.stringify(service.metrics.snapshot().rejected)}`);
});
