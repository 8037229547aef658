/**
 * The rendered BIND configuration in a real named on loopback, with a second named as the
 * upstream (the internet is out of reach): blocked names and their subdomains answer the sink,
 * other names resolve, updates signed with the session key apply at once and survive a
 * restart, and clients outside the allowed networks are refused.
 */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Blocklist } from '../../../overlays/dns-blacklist/app/blocklist.js';
import { createDnsUpdater, UpdateError } from '../../../overlays/dns-blacklist/app/updater.js';
import { freePort } from '../../helpers/guest.js';
import { floodQueries } from './dns-flood.js';
import { digA, startNamed, startUpstream, type RunningNamed } from './helpers/named.js';
import { testNeeding, unmetNeeds } from '../../helpers/tools.js';

interface Context { dir: string; port: number; resolver: RunningNamed; upstream: RunningNamed }
const test = anyTest as TestFn<Context>;
const NEEDS = { tools: { named: 'bind9', dig: 'bind9-dnsutils', nsupdate: 'bind9-dnsutils' } };
const serial = testNeeding<Context>(NEEDS, { serial: true });

const SINK = '192.168.1.1';
test.before(async (t) => {
  if (unmetNeeds(NEEDS).length > 0) return;
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-named-'));
  const [port, upstreamPort] = [await freePort(), await freePort()];
  const upstream = await startUpstream(join(dir, 'upstream'), upstreamPort);
  await mkdir(join(dir, 'resolver'));
  const resolver = await startNamed({
    dir: join(dir, 'resolver'),
    settings: {
      // 127.0.0.3 stands for a LAN client: localhost is exempt from rate limiting
      listenOn: ['127.0.0.1'], port, allowed: ['127.0.0.1/32', '127.0.0.3/32'], forwarders: [`127.0.0.1 port ${upstreamPort}`], dnssecValidation: 'no',
      rateLimit: { responsesPerSecond: 20, window: 5, slip: 2 }, policyTtl: 60,
    },
    seed: ['bad.example', 'ads.tracker.test', 'a_b.example'],
    action: { kind: 'sink', address: SINK },
  });
  t.context = { dir, port, resolver, upstream };
});

test.after.always(async (t) => {
  await t.context.resolver?.stop();
  await t.context.upstream?.stop();
  if (t.context.dir) await rm(t.context.dir, { recursive: true, force: true });
});

const dig = (t: { context: Context }, name: string, extra: string[] = []) => digA(t.context.port, name, extra);

async function nsupdate(t: { context: Context }, lines: string[]) {
  const script = [`server 127.0.0.1 ${t.context.port}`, 'zone rpz.mcdebian', ...lines, 'send', ''].join('\n');
  return execa('nsupdate', ['-k', t.context.resolver.paths.sessionKeyFile], { input: script, reject: false });
}

serial(`a seeded domain and all its subdomains answer the sink; other names resolve through the upstream`, async (t) => {
  t.deepEqual(await dig(t, 'bad.example'), { status: 'NOERROR', answers: [SINK], flags: 'qr rd ra' });
  t.deepEqual((await dig(t, 'www.bad.example')).answers, [SINK]);
  t.deepEqual((await dig(t, 'deep.er.ads.tracker.test')).answers, [SINK]);
  t.deepEqual((await dig(t, 'good.example')).answers, ['203.0.113.10']);
  t.deepEqual((await dig(t, 'notbad.example')).status, 'NXDOMAIN', 'a name that only ends like a blocked one is not blocked');
});

serial(`a seeded domain with an underscore loads and blocks, as block lists write tracker hosts`, async (t) => {
  t.deepEqual((await dig(t, 'a_b.example')).answers, [SINK]);
  t.deepEqual((await dig(t, 'x.a_b.example')).answers, [SINK]);
});

serial(`an update signed with the session key applies at once; without the key it is refused`, async (t) => {
  t.deepEqual((await dig(t, 'later.example')).answers, ['203.0.113.20']);
  const added = await nsupdate(t, [`update add later.example.rpz.mcdebian 60 IN A ${SINK}`, `update add *.later.example.rpz.mcdebian 60 IN A ${SINK}`]);
  t.is(added.exitCode, 0, String(added.stderr));
  t.deepEqual((await dig(t, 'later.example')).answers, [SINK], 'no wait for min-update-interval');
  t.deepEqual((await dig(t, 'x.later.example')).answers, [SINK]);
  const unsigned = await execa('nsupdate', [], { input: `server 127.0.0.1 ${t.context.port}\nzone rpz.mcdebian\nupdate add evil.example.rpz.mcdebian 60 IN A 198.51.100.1\nsend\n`, reject: false });
  t.not(unsigned.exitCode, 0);
  t.regex(String(unsigned.stderr), /REFUSED/);
});

serial(`the list survives a restart of named`, async (t) => {
  await t.context.resolver.stop();
  await t.context.resolver.start();
  t.deepEqual((await dig(t, 'later.example')).answers, [SINK]);
  t.deepEqual((await dig(t, 'bad.example')).answers, [SINK]);
});

serial(`a client outside the allowed networks is refused, blocked names included`, async (t) => {
  const refused = await dig(t, 'good.example', ['-b', '127.0.0.2']);
  t.is(refused.status, 'REFUSED');
  t.deepEqual(refused.answers, []);
  t.is((await dig(t, 'bad.example', ['-b', '127.0.0.2'])).status, 'REFUSED');
});

serial(`response rate limiting drops or truncates a flood of identical answers to one client`, async (t) => {
  // the answer in the cache first (asked from localhost, which is exempt): named was restarted
  // above, and a flood that arrived while it was still asking the upstream was seen on a busy
  // machine to come back without a single truncated answer (the queries waited on the one
  // fetch instead of being answered, and limited, from the cache)
  t.deepEqual((await dig(t, 'good.example')).answers, ['203.0.113.10']);
  // three times the configured 20 answers a second, however long a busy machine takes to send them
  const flood = await floodQueries({ server: '127.0.0.1', port: t.context.port, from: '127.0.0.3', name: 'good.example', atLeastPerSecond: 60 });
  t.true(flood.peakPerSecond > 60, `the flood reached ${flood.peakPerSecond} queries in a second`);
  t.true(flood.withAddress < flood.sent, `some answers are dropped or slipped (TC=1): ${JSON.stringify(flood)}`);
  t.true(flood.truncated > 0, 'slip 2 sends every other limited answer truncated, so real clients retry over TCP');
  t.true(flood.withAddress > 0, 'the first answers still come');
});

serial(`a change named refuses partway (the zone is full) is taken back whole: nothing of it stays`, async (t) => {
  const dir = join(t.context.dir, 'full');
  await mkdir(dir);
  const port = await freePort();
  const named = await startNamed({
    dir,
    settings: { listenOn: ['127.0.0.1'], port, allowed: ['127.0.0.1/32'], forwarders: [], dnssecValidation: 'no', rateLimit: { responsesPerSecond: 20, window: 5, slip: 2 }, policyTtl: 60 },
    seed: ['old.example'],
    action: { kind: 'sink', address: SINK },
  });
  t.teardown(() => named.stop());
  // a zone of at most 1,000 records: the first messages of 600 names (1,200 records) go in, a later one is refused
  const local = join(dir, 'named.conf.local');
  await writeFile(local, (await readFile(local, 'utf8')).replace('update-policy local;', 'update-policy local;\n    max-records 1000;'));
  await named.stop();
  await named.start();
  const blocklist = new Blocklist(createDnsUpdater({ settings: { zone: 'rpz.mcdebian', server: { address: '127.0.0.1', port }, ttl: 60, action: { kind: 'sink', address: SINK } }, keyFile: named.paths.sessionKeyFile }));
  const add = Array.from({ length: 600 }, (_, i) => `full${i}.example`);
  await t.throwsAsync(blocklist.change({ add, remove: ['old.example'] }), { instanceOf: UpdateError, message: /update failed: SERVFAIL[\s\S]*; nothing was changed$/ });
  t.regex(named.log(), /exceeds max-records/, 'named refused a message after others had gone in');
  t.deepEqual(await blocklist.list(), ['old.example']);
  t.deepEqual((await digA(port, 'www.old.example')).answers, [SINK]);
});
