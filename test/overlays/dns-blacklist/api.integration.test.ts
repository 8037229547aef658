/**
 * The admin service as the image runs it (bundled into one file, started with node) against a
 * real named running the rendered configuration: changes through the API show in DNS answers at
 * once, bad logins and bad names change nothing, concurrent adds all land, and the list
 * survives restarts of named and of the service.
 */
import anyTest, { type TestFn } from 'ava';
import { execa, type ResultPromise } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeService } from '../../../overlays/bundle.js';
import { hashPassword } from '../../../overlays/dns-blacklist/app/password.js';
import { runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/guest.js';
import { getWithHost, requestJson } from '../../helpers/http.js';
import { digA, startNamed, startUpstream, type RunningNamed } from './helpers/named.js';
import { testNeeding, unmetNeeds } from '../../helpers/tools.js';

interface Service { stop(): Promise<void>; start(): Promise<void>; log(): string }
interface Context { dir: string; dnsPort: number; apiPort: number; pagePort: number; resolver: RunningNamed; upstream: RunningNamed; service: Service }
const test = anyTest as TestFn<Context>;
const NEEDS = { tools: { named: 'bind9', dig: 'bind9-dnsutils', nsupdate: 'bind9-dnsutils' } };
const serial = testNeeding<Context>(NEEDS, { serial: true });

const SINK = '192.168.1.1';
const PASSWORD = 'correct horse battery staple';
const ENTRY = fileURLToPath(new URL('../../../overlays/dns-blacklist/app/main.js', import.meta.url));

/** `node main.mjs serve` on the bundle, restartable; resolves once /health answers. */
async function startService(dir: string, apiPort: number): Promise<Service> {
  const bundle = join(dir, 'main.mjs');
  await writeFile(bundle, await bundleNodeService({ entry: ENTRY, path: '/usr/lib/mcdebian/dns-blacklist/main.mjs' }));
  let child: ResultPromise | undefined;
  let output = '';
  const start = async () => {
    child = execa(process.execPath, [bundle, 'serve', '--config', join(dir, 'admin.json')], { reject: false, buffer: false, all: true, stdin: 'ignore' });
    child.all?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    for (let i = 0; i < 200; i++) {
      if (await fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => r.ok, () => false)) return;
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the admin service did not start:\n${output}`);
  };
  await start();
  return {
    async stop() { child?.kill('SIGTERM'); await child; child = undefined; },
    start,
    log: () => output,
  };
}

test.before(async (t) => {
  if (unmetNeeds(NEEDS).length > 0) return;
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-dnsbl-'));
  const [dnsPort, upstreamPort, apiPort, pagePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const upstream = await startUpstream(join(dir, 'upstream'), upstreamPort);
  await mkdir(join(dir, 'resolver'));
  const resolver = await startNamed({
    dir: join(dir, 'resolver'),
    settings: { listenOn: ['127.0.0.1'], port: dnsPort, allowed: ['127.0.0.1/32'], forwarders: [`127.0.0.1 port ${upstreamPort}`], dnssecValidation: 'no', rateLimit: { responsesPerSecond: 20, window: 5, slip: 2 }, policyTtl: 60 },
    seed: ['bad.example'],
    action: { kind: 'sink', address: SINK },
  });
  await writeFile(join(dir, 'password-hash'), `${await hashPassword(PASSWORD)}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'admin.json'), JSON.stringify({
    zone: 'rpz.mcdebian',
    server: { address: '127.0.0.1', port: dnsPort },
    tsigKeyFile: resolver.paths.sessionKeyFile,
    action: { kind: 'sink', address: SINK },
    ttl: 60,
    api: { listen: '127.0.0.1', port: apiPort, user: 'admin', passwordHashFile: join(dir, 'password-hash'), tls: null },
    blockedPage: { listen: '127.0.0.1', port: pagePort },
  }));
  t.context = { dir, dnsPort, apiPort, pagePort, resolver, upstream, service: await startService(dir, apiPort) };
});

test.after.always(async (t) => {
  await t.context.service?.stop();
  await t.context.resolver?.stop();
  await t.context.upstream?.stop();
  if (t.context.dir) await rm(t.context.dir, { recursive: true, force: true });
});

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

const api = (t: { context: Context }, method: string, path: string, body?: unknown, password = PASSWORD) =>
  requestJson(t.context.apiPort, method, path, { headers: { authorization: basic(password) }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });

const listed = async (t: { context: Context }) => (await api(t, 'GET', '/domains')).body.domains as string[];
const answer = async (t: { context: Context }, name: string) => (await digA(t.context.dnsPort, name)).answers;

serial(`the seed is listed, and an add through the API blocks the name and its subdomains at once`, async (t) => {
  t.deepEqual(await listed(t), ['bad.example']);
  t.deepEqual(await answer(t, 'good.example'), ['203.0.113.10']);
  const added = await api(t, 'PUT', '/domains/good.example');
  t.is(added.status, 200);
  t.deepEqual(added.body.added, ['good.example']);
  t.deepEqual(await answer(t, 'good.example'), [SINK]);
  t.deepEqual(await answer(t, 'a.b.good.example'), [SINK]);
  const removed = await api(t, 'DELETE', '/domains/good.example');
  t.deepEqual(removed.body.removed, ['good.example']);
  t.deepEqual(await answer(t, 'good.example'), ['203.0.113.10']);
});

serial(`batches add and remove together, internationalised names as punycode`, async (t) => {
  const result = await api(t, 'POST', '/domains', { add: ['Ads.Tracker.Test.', 'bücher.example'], remove: ['bad.example'] });
  t.is(result.status, 200);
  t.deepEqual(await listed(t), ['ads.tracker.test', 'xn--bcher-kva.example']);
  t.deepEqual(await answer(t, 'x.xn--bcher-kva.example'), [SINK]);
  t.deepEqual(await answer(t, 'bad.example'), ['203.0.113.66']);
  await api(t, 'POST', '/domains', { add: ['bad.example'], remove: ['ads.tracker.test', 'xn--bcher-kva.example'] });
  t.deepEqual(await listed(t), ['bad.example']);
});

const INJECTIONS = [
  'evil.example"; update add x.rpz.mcdebian 60 IN A 1.2.3.4',
  'evil.example\nupdate add evil2.example.rpz.mcdebian 60 IN A 1.2.3.4\nsend',
  'evil.example;',
  "evil'.example",
  'evil example',
  `${'a'.repeat(64)}.example`,
  `${'abcdefghi.'.repeat(26)}example`,
  'localhostonly',
  '*.evil.example',
  'rpz.mcdebian',
];

serial(`malformed names and injection attempts are refused with 400 and change nothing`, async (t) => {
  for (const name of INJECTIONS) {
    const batch = await api(t, 'POST', '/domains', { add: ['fine.example', name] });
    t.is(batch.status, 400, JSON.stringify(name));
  }
  const single = await api(t, 'PUT', `/domains/${encodeURIComponent('evil.example;')}`);
  t.is(single.status, 400);
  t.is((await api(t, 'POST', '/domains', '{"add": [')).status, 400);
  t.deepEqual(await listed(t), ['bad.example'], 'not even the valid names of a refused batch');
  t.deepEqual(await answer(t, 'evil2.example'), []);
});

serial(`a batch of 3,000 names and one with an underscore is blocked in full, and removed in full`, async (t) => {
  const names = [...Array.from({ length: 3000 }, (_, i) => `bulk${i}.example`), 'tracker_x.example'];
  const added = await api(t, 'POST', '/domains', { add: names });
  t.is(added.status, 200, JSON.stringify(added.body).slice(0, 500));
  t.is((added.body.added as string[] | undefined)?.length, 3001);
  t.deepEqual(await listed(t), ['bad.example', ...names].sort());
  t.deepEqual(await answer(t, 'www.tracker_x.example'), [SINK]);
  t.is((await api(t, 'POST', '/domains', { remove: names })).status, 200);
  t.deepEqual(await listed(t), ['bad.example']);
});

serial(`50 concurrent adds all land, and the list survives restarts of named and the service`, async (t) => {
  const names = Array.from({ length: 50 }, (_, i) => `c${i}.example`);
  const results = await Promise.all(names.map((name) => api(t, 'PUT', `/domains/${name}`)));
  t.true(results.every((result) => result.status === 200), results.map((r) => r.status).join(' '));
  t.deepEqual(await listed(t), ['bad.example', ...names].sort());
  await t.context.resolver.stop();
  await t.context.resolver.start();
  await t.context.service.stop(); // named's new session key: the unit restarts the service with it (PartOf)
  await t.context.service.start();
  t.deepEqual(await listed(t), ['bad.example', ...names].sort());
  t.deepEqual(await answer(t, 'c49.example'), [SINK]);
  t.is((await api(t, 'POST', '/domains', { remove: names })).status, 200);
});

serial(`the blocked page names the blocked domain from the Host header, escaped`, async (t) => {
  const page = await getWithHost(t.context.pagePort, 'bad.example', '/some/path?x=1');
  t.is(page.status, 403);
  t.regex(page.body, /<h1>bad\.example is blocked<\/h1>/);
  const hostile = await getWithHost(t.context.pagePort, '<script>x</script>.example');
  t.false(hostile.body.includes('<script>'));
});

serial(`mcdebian dns-blacklist import sends a hosts file to the API in batches`, async (t) => {
  await writeFile(join(t.context.dir, 'hosts.txt'), '# a block list\n0.0.0.0 ads.one.example\n127.0.0.1 localhost\n0.0.0.0 ads.two.example bad.example\nnot a;name\n');
  await writeFile(join(t.context.dir, 'password'), `${PASSWORD}\n`);
  const result = await runCli(['dns-blacklist', 'import', join(t.context.dir, 'hosts.txt'), '--api', `http://127.0.0.1:${t.context.apiPort}`, '--password-file', join(t.context.dir, 'password'), '--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.like(JSON.parse(result.stdout), { added: 2, alreadyBlocked: 1, invalid: 1 });
  t.regex(result.stderr, /hosts\.txt:5: .*skipped/);
  t.deepEqual(await answer(t, 'x.ads.two.example'), [SINK]);
  await api(t, 'POST', '/domains', { remove: ['ads.one.example', 'ads.two.example'] });
});

// last: after five failures the address is locked out for a minute, right password or not
serial(`a wrong password is refused and changes nothing; repeated failures lock the address out`, async (t) => {
  const refused = await api(t, 'PUT', '/domains/good.example', undefined, 'wrong');
  t.is(refused.status, 401);
  t.deepEqual(await listed(t), ['bad.example']);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await api(t, 'GET', '/domains', undefined, `wrong-${i}`)).status);
  t.true(statuses.includes(429), `statuses ${statuses.join(' ')}`);
});
