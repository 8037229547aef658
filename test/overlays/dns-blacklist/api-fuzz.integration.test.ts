/**
 * Properties of the admin API's input handling, on generated input:
 * - names: the checker refuses a string, or returns a canonical name made of letters, digits,
 *   hyphens, underscores and dots, outside the policy zone, that real BIND takes: named-checkzone
 *   loads a zone rendered as the overlay renders it with the options named uses, and a real
 *   named applies it by nsupdate and lists it back by AXFR;
 * - bodies: any body, Content-Type, nesting depth and size sent to POST /domains, and any name
 *   in PUT/DELETE /domains/{name}, gets an answer other than 500, and the zone after it is
 *   either the zone before or the zone with the whole request applied, also when the update
 *   fails after part of it went in.
 * Each property has a fixed number of runs and a time limit; fast-check prints the seed and
 * path of a failure, to replay it with { seed, path }.
 */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import fc from 'fast-check';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDomain } from '../../../overlays/dns-blacklist/app/domain.js';
import { hashPassword } from '../../../overlays/dns-blacklist/app/password.js';
import { createDnsUpdater, type Updater } from '../../../overlays/dns-blacklist/app/updater.js';
import { checkPolicyZoneArgv, POLICY_ZONE, renderPolicyZone, type BlockAction } from '../../../overlays/dns-blacklist/named.js';
import { freePort } from '../../helpers/guest.js';
import { digA, startNamed, type RunningNamed } from './helpers/named.js';
import { testNeeding, unmetNeeds } from '../../helpers/tools.js';
import { basic, startApi, type ApiUnderTest } from './app/fakes.js';

interface Context { dir: string; port: number; named: RunningNamed; updater: Updater }
const test = anyTest as TestFn<Context>;
const NEEDS = { tools: { named: 'bind9', 'named-checkzone': 'bind9-utils', dig: 'bind9-dnsutils', nsupdate: 'bind9-dnsutils' } };
const withBind = testNeeding<Context>(NEEDS, { serial: true });

const SINK = { kind: 'sink', address: '192.168.1.1' } satisfies BlockAction;
const TIME_LIMIT = 25_000;
const PASSWORD = 'fuzz password';
// before any test is declared: ava takes only declarations made synchronously on loading
const HASH = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });

test.before(async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-dnsbl-fuzz-'));
  if (unmetNeeds(NEEDS).length > 0) {
    t.context = { dir } as Context;
    return;
  }
  const port = await freePort();
  await mkdir(join(dir, 'named'));
  const named = await startNamed({
    dir: join(dir, 'named'),
    settings: { listenOn: ['127.0.0.1'], port, allowed: ['127.0.0.1/32'], forwarders: [], dnssecValidation: 'no', rateLimit: { responsesPerSecond: 1000, window: 1, slip: 0 }, policyTtl: 60 },
    seed: [],
    action: SINK,
  });
  const updater = createDnsUpdater({ settings: { zone: POLICY_ZONE, server: { address: '127.0.0.1', port }, ttl: 60, action: SINK }, keyFile: named.paths.sessionKeyFile });
  t.context = { dir, port, named, updater };
});

test.after.always(async (t) => {
  await t.context.named?.stop();
  await rm(t.context.dir, { recursive: true, force: true });
});

// ---- names

/** Pieces of hostile and ordinary names: scripts, confusables, controls, separators, RPZ words. */
const PIECES = [
  'a', 'z', '0', '9', '-', '_', 'A', 'Z', 'ü', 'ß', 'é', 'ж', 'ｱ', '中', '😀', '\u0301', 'İ', 'ς', 'ﬀ', 'Ⅻ', '①',
  '\u00a0', ' ', '\t', '\n', '\r', '\0', '\x7f', '\u0085', '\u200b', '\u200d', '\u2028', '\ufeff',
  ';', '"', '\'', '\\', '(', ')', '*', '@', ':', '/', '$', '%', '.', '。', '．', '｡', 'xn--', 'rpz-', '--',
];

const label = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9_-]{1,12}$/) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('xn--bcher-kva', 'xn--zz', 'xn--ls8h', 'xn--', 'rpz-ip', 'rpz-nsdname', 'rpz-client-ip', 'rpz', 'mcdebian', 'localhost', '123') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70 }).map((length) => 'x'.repeat(length)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }) },
);

const structuredName = fc.tuple(
  fc.array(label, { minLength: 1, maxLength: 5 }),
  fc.constantFrom('', '.example', '.test', '.com', '.', `.${POLICY_ZONE}`, '.RPZ.McDebian.', '.ｒｐｚ.mcdebian', '.co。uk'),
  fc.constantFrom('', ' ', '\t', '\n'),
).map(([labels, suffix, pad]) => `${pad}${labels.join('.')}${suffix}${pad}`);

/** Names as block lists write them: host labels (underscores too) or internationalised ones, under a real-looking TLD. */
const plausibleName = fc.tuple(
  fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9_]([a-z0-9_-]{0,14}[a-z0-9_])?$/) },
    { weight: 1, arbitrary: fc.constantFrom('bücher', 'пример', '中文', 'ｱｲｳ', 'Straße', 'café', 'δοκιμή', 'xn--bcher-kva', 'ads-1', '_dmarc', 'a--b') },
  ), { minLength: 1, maxLength: 4 }),
  fc.constantFrom('example', 'test', 'com', 'co.uk', 'xn--p1ai', 'рф', 'invalid'),
).map(([labels, tld]) => `${labels.join('.')}.${tld}`);

/** A string to check as a domain name. */
const anyName = fc.oneof(
  { weight: 4, arbitrary: plausibleName },
  { weight: 6, arbitrary: structuredName },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);

/** The names the checker accepts, each once. */
const acceptedOf = (names: readonly string[]) => [...new Set(names.flatMap((name) => {
  const check = checkDomain(name, POLICY_ZONE);
  return check.ok ? [check.domain] : [];
}))];

test('an accepted name is canonical, plain ASCII, and outside the policy zone; the zone and its subdomains are refused in any spelling', (t) => {
  let accepted = 0;
  fc.assert(fc.property(anyName, (name) => {
    const check = checkDomain(name, POLICY_ZONE);
    if (!check.ok) return;
    accepted++;
    const { domain } = check;
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(domain)) throw new Error(`accepted ${JSON.stringify(name)} as ${JSON.stringify(domain)}`);
    if (domain === POLICY_ZONE || domain.endsWith(`.${POLICY_ZONE}`)) throw new Error(`accepted ${JSON.stringify(name)} inside the zone`);
    const again = checkDomain(domain, POLICY_ZONE);
    if (!again.ok || again.domain !== domain) throw new Error(`${domain} is not canonical: ${JSON.stringify(again)}`);
    for (const inside of [`${domain}.${POLICY_ZONE}`, `${domain.toUpperCase()}.RPZ.MCDEBIAN.`, `${domain}.ｒｐｚ．ｍｃｄｅｂｉａｎ`]) {
      if (checkDomain(inside, POLICY_ZONE).ok) throw new Error(`accepted ${JSON.stringify(inside)}, inside the zone`);
    }
  }), { numRuns: 20_000, interruptAfterTimeLimit: TIME_LIMIT, includeErrorInReport: true });
  t.true(accepted > 1000, `only ${accepted} generated names were accepted: the generator no longer reaches the accepting side`);
});

withBind(`every accepted name loads in the policy zone as named-checkzone checks it at build time`, async (t) => {
  let checked = 0;
  await fc.assert(fc.asyncProperty(fc.array(anyName, { minLength: 1, maxLength: 60 }), fc.boolean(), async (names, nxdomain) => {
    const accepted = acceptedOf(names);
    if (accepted.length === 0) return;
    const file = join(t.context.dir, 'fuzz-zone.db');
    await writeFile(file, renderPolicyZone(accepted, nxdomain ? { kind: 'nxdomain' } : SINK, 60));
    const [program, ...args] = checkPolicyZoneArgv(file);
    const result = await execa(program!, args, { reject: false, all: true });
    if (result.exitCode !== 0 || !/loaded serial/.test(result.all ?? '') || /bad|ignor|warn/i.test(result.all ?? '')) {
      throw new Error(`named-checkzone refused or warned about ${JSON.stringify(accepted)}:\n${result.all}`);
    }
    checked += accepted.length;
  }), { numRuns: 80, interruptAfterTimeLimit: TIME_LIMIT, includeErrorInReport: true });
  t.true(checked > 100, `${checked} names checked`);
});

/**
 * Waits until a query for `name` answers the sink. The zone holds an update once nsupdate
 * returns, but named moves it into the policy it answers with on a timer of its own
 * (min-update-interval, 0 here, still a separate task), so a loaded machine can answer the
 * first query from the old policy.
 */
async function waitUntilBlocked(port: number, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const answer = await digA(port, name).catch((error: Error) => ({ answers: [], error: error.message }));
    if (JSON.stringify(answer.answers) === JSON.stringify([SINK.address])) return;
    last = JSON.stringify(answer);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} is not blocked after 30 s; it last answered ${last}`);
}

withBind(`every accepted name is added by nsupdate to a real named, listed back by AXFR, blocks, and is removed`, async (t) => {
  const { updater, port } = t.context;
  let applied = 0;
  await fc.assert(fc.asyncProperty(fc.array(anyName, { minLength: 1, maxLength: 60 }), async (names) => {
    const accepted = acceptedOf(names);
    if (accepted.length === 0) return;
    // from an empty zone, also after a failed run (fast-check goes on to shrink it)
    await updater.apply({ add: [], remove: await updater.list() });
    await updater.apply({ add: accepted, remove: [] });
    const listed = await updater.list();
    if (JSON.stringify(listed) !== JSON.stringify([...accepted].sort())) throw new Error(`listed ${JSON.stringify(listed)} after adding ${JSON.stringify(accepted)}`);
    await waitUntilBlocked(port, `probe.${accepted[0]}`);
    await updater.apply({ add: [], remove: accepted });
    const left = await updater.list();
    if (left.length > 0) throw new Error(`${JSON.stringify(left)} left after removing ${JSON.stringify(accepted)}`);
    applied += accepted.length;
  }), { numRuns: 40, interruptAfterTimeLimit: TIME_LIMIT, includeErrorInReport: true });
  t.true(applied > 50, `${applied} names applied`);
});

// ---- bodies

const MAX_BODY = 64 * 1024;

/** Sends one request on a connection of its own; the body as given, bytes and all. */
function send(api: ApiUnderTest, options: { method: string; path: string; headers: Record<string, string>; body?: Buffer }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${api.url}${options.path}`, { method: options.method, headers: { Authorization: basic('admin', PASSWORD), ...options.headers }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        let body: Record<string, unknown> = {};
        try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>; } catch { /* checked by the caller */ }
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    // the server may close a connection whose body it refused (413) before reading it all
    outgoing.on('error', (error: NodeJS.ErrnoException) => (['ECONNRESET', 'EPIPE'].includes(error.code ?? '') ? resolve({ status: 413, body: { error: 'connection closed while sending' } }) : reject(error)));
    outgoing.end(options.body);
  });
}

const nameOrJunk = fc.oneof(
  { weight: 5, arbitrary: anyName },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A batch as the API takes it, with room for what it does not take. */
const batch = fc.record({
  add: fc.array(nameOrJunk, { maxLength: 30 }),
  remove: fc.array(nameOrJunk, { maxLength: 10 }),
  extra: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }), { nil: undefined }),
}, { requiredKeys: [] }).map(({ extra, ...fields }) => JSON.stringify({ ...fields, ...extra }));

/** Any body: good and bad batches, any JSON, deep nesting, big bodies, bytes that are not UTF-8. */
const anyBody = fc.oneof(
  { weight: 6, arbitrary: batch.map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('[', '{"a":', '[{"add":')).map(([depth, open]) => Buffer.from(`{"add":${open.repeat(depth)}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((depth) => Buffer.from(`{"add": ${'['.repeat(depth)}"a.example"${']'.repeat(depth)}}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 * MAX_BODY }).map((size) => Buffer.from(JSON.stringify({ add: Array.from({ length: Math.ceil(size / 16) }, (_, i) => `big${i}.example`) }))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text)) },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'Application/JSON; charset=utf-8', 'application/json;charset=latin1') },
  { weight: 2, arbitrary: fc.constantFrom('text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'json', '') },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,40}$/) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A failure of the update after part of it went in, or none. */
const failure = fc.option(fc.nat({ max: 40 }), { nil: undefined, freq: 4 });

/** The zone a 200 must leave: the request's names applied, adds before removes, all of them. */
function expectedZone(before: ReadonlySet<string>, body: Buffer): Set<string> {
  const { add = [], remove = [] } = JSON.parse(body.toString('utf8')) as { add?: string[]; remove?: string[] };
  const normal = (names: string[]) => names.map((name) => {
    const check = checkDomain(name, POLICY_ZONE);
    if (!check.ok) throw new Error(`200 for a batch with the invalid name ${JSON.stringify(name)}`);
    return check.domain;
  });
  const after = new Set([...before, ...normal(add)]);
  for (const name of normal(remove)) after.delete(name);
  return after;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((item) => b.has(item));

/** Answers the API may give a logged-in client; 500 is not among them. */
const EXPECTED = new Set([200, 400, 403, 404, 413, 415, 502]);

/** The zone a 200 to PUT or DELETE /domains/{name} must leave. */
function expectedAfterOne(before: ReadonlySet<string>, options: { method: string; path: string }): Set<string> {
  const check = checkDomain(decodeURIComponent(options.path.slice('/domains/'.length)), POLICY_ZONE);
  if (!check.ok) throw new Error(`200 for ${options.method} ${options.path}, an invalid name`);
  const after = new Set(before);
  if (options.method === 'PUT') after.add(check.domain);
  else after.delete(check.domain);
  return after;
}

/** Runs one request, with the update failing after part of it if asked; checks the answer and all-or-nothing; resolves with the status. */
async function checkOne(api: ApiUnderTest, options: { method: string; path: string; headers: Record<string, string>; body?: Buffer; failAfter: number | undefined }): Promise<number> {
  const before = new Set(api.updater.domains);
  if (options.failAfter !== undefined) Object.assign(api.updater, { failure: 'update failed: SERVFAIL', appliedBeforeFailure: options.failAfter, failuresLeft: 1 });
  try {
    const { status, body } = await send(api, options);
    const after = api.updater.domains;
    if (!EXPECTED.has(status) || (status !== 200 && typeof body.error !== 'string')) throw new Error(`answered ${status} ${JSON.stringify(body)}`);
    if (status === 502 && !/nothing was changed$/.test(String(body.error))) throw new Error(`502 that does not say nothing changed: ${String(body.error)}`);
    if (status !== 200 && !sameSet(before, after)) throw new Error(`answered ${status} but the zone changed: ${JSON.stringify([...before])} -> ${JSON.stringify([...after])}`);
    if (status === 200) {
      const expected = options.method === 'POST' ? expectedZone(before, options.body!) : expectedAfterOne(before, options);
      if (!sameSet(after, expected)) throw new Error(`not the whole request: ${JSON.stringify([...before])} -> ${JSON.stringify([...after])}, expected ${JSON.stringify([...expected])}`);
    }
    return status;
  } finally {
    Object.assign(api.updater, { failure: undefined, appliedBeforeFailure: 0, failuresLeft: Number.POSITIVE_INFINITY });
  }
}

test.serial('any body, Content-Type, depth or size sent to POST /domains is never a 500 and never half applied', async (t) => {
  const api = await startApi(t, HASH, { maxBodyBytes: MAX_BODY });
  // every answer the property must meet, reached for sure: how often the generators reach the
  // rarer ones (a valid batch whose update fails partway: 502) depends on how many runs a busy
  // machine completes within the time limit
  const json = { 'Content-Type': 'application/json' };
  const sure = [
    { status: 200, headers: json, body: Buffer.from('{"add":["sure1.example"]}'), failAfter: undefined },
    { status: 502, headers: json, body: Buffer.from('{"add":["sure2.example","sure3.example"]}'), failAfter: 1 },
    { status: 400, headers: json, body: Buffer.from('{"add":'), failAfter: undefined },
    { status: 413, headers: json, body: Buffer.alloc(MAX_BODY + 1, 0x20), failAfter: undefined },
    { status: 415, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('{"add":["sure4.example"]}'), failAfter: undefined },
  ];
  for (const example of sure) t.is(await checkOne(api, { method: 'POST', path: '/domains', ...example }), example.status, example.body.subarray(0, 60).toString());
  const statuses: number[] = [];
  await fc.assert(fc.asyncProperty(anyBody, contentType, failure, async (body, type, failAfter) => {
    const headers: Record<string, string> = type === undefined ? {} : { 'Content-Type': type };
    statuses.push(await checkOne(api, { method: 'POST', path: '/domains', headers, body, failAfter }));
  }), { numRuns: 400, interruptAfterTimeLimit: TIME_LIMIT, includeErrorInReport: true });
  t.true(statuses.length > 50, `${statuses.length} runs in the time limit`);
  for (const status of [200, 400]) t.true(statuses.includes(status), `no run answered ${status}: the generators no longer reach it`);
});

test.serial('any name in PUT or DELETE /domains/{name}, encoded or not, is never a 500 and never half applied', async (t) => {
  const api = await startApi(t, HASH);
  const statuses: number[] = [];
  const path = fc.oneof(
    anyName.map((name) => encodeURIComponent(name)),
    fc.stringMatching(/^[\x21-\x7e]{1,60}$/).filter((text) => !text.includes('?') && !text.includes('#')),
  );
  await fc.assert(fc.asyncProperty(fc.constantFrom('PUT', 'DELETE'), path, failure, async (method, encoded, failAfter) => {
    statuses.push(await checkOne(api, { method, path: `/domains/${encoded}`, headers: {}, failAfter }));
  }), { numRuns: 400, interruptAfterTimeLimit: TIME_LIMIT, includeErrorInReport: true });
  t.true(statuses.length > 50, `${statuses.length} runs in the time limit`);
  for (const status of [200, 400, 502]) t.true(statuses.includes(status), `no run answered ${status}: the generators no longer reach it`);
});
