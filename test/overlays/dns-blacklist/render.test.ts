import test from 'ava';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getBoard } from '../../../board/index.js';
import { parseConfig } from '../../../overlays/dns-blacklist/app/config.js';
import { dnsBlacklistSchema } from '../../../overlays/dns-blacklist/schema.js';
import { blockAction, namedSettings, networkOf, renderAdminConfig, renderDnsBlacklist } from '../../../overlays/dns-blacklist/render.js';
import { DEBIAN_PATHS } from '../../../overlays/dns-blacklist/named.js';
import type { ReadFile } from '../../../overlays/overlay.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testWithTools } from '../../helpers/tools.js';

const HASH = 'scrypt$32768$8$1$ADTSPetrTNydE7VQAIa/6Q==$YoICnOJE8CVY2/22AHgwD2xizc+oE8t6nWGKV85EbWc=\n';
const router = { board: getBoard('wrt1200ac'), hostname: 'gw1', lanAddress: '192.168.7.1/24' };
const server = { board: getBoard('x86-64'), hostname: 'ns1', lanAddress: '192.168.1.1/24' };
const files = (extra: ReadFile[] = []): ReadFile[] => [
  { field: ['api', 'passwordHash'], path: 'keys/hash', file: '/cfg/keys/hash', content: HASH, secret: true, generated: false },
  ...extra,
];
const parse = (value: object) => dnsBlacklistSchema.parse({ api: { passwordHash: 'keys/hash' }, ...value });

test('on a router, named serves and recurses for the LAN only, and blocked names answer the LAN address', (t) => {
  const config = parse({});
  t.deepEqual(namedSettings(config, router), {
    listenOn: ['192.168.7.1', '127.0.0.1'], port: 53, allowed: ['192.168.7.0/24'], forwarders: [], dnssecValidation: 'auto',
    rateLimit: { responsesPerSecond: 20, window: 5, slip: 2 }, policyTtl: 60,
  });
  t.deepEqual(blockAction(config, router), { kind: 'sink', address: '192.168.7.1' });
});

test('on a server, named listens everywhere and recurses for the attached networks; the sink is explicit', (t) => {
  const config = parse({ sink: '10.0.0.53' });
  t.like(namedSettings(config, server), { listenOn: ['any'], allowed: ['localnets'] });
  t.deepEqual(blockAction(config, server), { kind: 'sink', address: '10.0.0.53' });
  t.deepEqual(blockAction(parse({ sink: 'nxdomain' }), server), { kind: 'nxdomain' });
});

test('without a sink, blocked names answer the LAN address on a router and NXDOMAIN on a board without a LAN bridge', (t) => {
  t.deepEqual(blockAction(parse({}), router), { kind: 'sink', address: '192.168.7.1' });
  t.deepEqual(blockAction(parse({}), server), { kind: 'nxdomain' });
  const admin = JSON.parse(renderAdminConfig(parse({}), server)) as { blockedPage: unknown };
  t.is(admin.blockedPage, null, 'no blocked page without an address known when building');
});

test('networkOf masks the host bits', (t) => {
  t.is(networkOf('192.168.7.1/24'), '192.168.7.0/24');
  t.is(networkOf('10.20.30.40/12'), '10.16.0.0/12');
  t.is(networkOf('172.16.5.9/32'), '172.16.5.9/32');
  t.is(networkOf('8.8.8.8/0'), '0.0.0.0/0');
});

test('the admin service\'s config is one its own parser accepts, with the secrets as credentials', (t) => {
  const json = JSON.parse(renderAdminConfig(parse({ api: { passwordHash: 'keys/hash', port: 9443, tls: { certificate: 'c.pem', key: 'k.pem' } } }), router)) as object;
  const parsed = parseConfig(json, 'admin.json', { CREDENTIALS_DIRECTORY: '/run/credentials/mcdebian-dns-blacklist.service' });
  t.like(parsed, {
    zone: 'rpz.mcdebian',
    action: { kind: 'sink', address: '192.168.7.1' },
    api: { listen: '192.168.7.1', port: 9443, passwordHashFile: '/run/credentials/mcdebian-dns-blacklist.service/password-hash' },
    blockedPage: { listen: '192.168.7.1', port: 80 },
  });
  t.is(parsed.tsigKeyFile, '/run/credentials/mcdebian-dns-blacklist.service/session-key');
  const nxdomain = JSON.parse(renderAdminConfig(parse({ sink: 'nxdomain' }), router)) as { blockedPage: unknown };
  t.is(nxdomain.blockedPage, null, 'no blocked page without a sink address to serve it on');
});

test('the layer holds BIND\'s files, the seed zone, the secret hash at 0600 and the hardened unit', (t) => {
  const seedFile: ReadFile = { field: ['seedFile'], path: 'hosts.txt', file: '/cfg/hosts.txt', content: '0.0.0.0 ads.example\n127.0.0.1 localhost\n', secret: false, generated: false };
  const render = renderDnsBlacklist(parse({ seed: ['Bad.Example.', 'bücher.example'], seedFile: 'hosts.txt' }), files([seedFile]), router);
  const at = (path: string) => render.files.find((file) => file.path === path);
  const zone = at('/usr/share/mcdebian/dns-blacklist/rpz.mcdebian.db')?.content ?? '';
  for (const name of ['ads.example', 'bad.example', 'xn--bcher-kva.example']) {
    t.true(zone.includes(`\n${name} IN A 192.168.7.1\n*.${name} IN A 192.168.7.1\n`), name);
  }
  t.false(zone.includes('localhost IN'));
  t.like(at('/etc/mcdebian/secrets/dns-blacklist/password-hash'), { mode: 0o600, content: HASH, secret: { overlay: 'dns-blacklist', field: 'api.passwordHash', source: '/cfg/keys/hash' } });
  const unit = at('/etc/systemd/system/mcdebian-dns-blacklist.service')?.content ?? '';
  for (const line of ['User=dnsbl', 'LoadCredential=session-key:/run/named/session.key', 'PartOf=named.service', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE']) {
    t.true(unit.split('\n').includes(line), line);
  }
  t.regex(at('/etc/bind/named.conf.options')?.content ?? '', /allow-recursion \{ mcdebian-clients; \};[\s\S]*acl|acl mcdebian-clients \{ localhost; 192\.168\.7\.0\/24; \};/);
  t.deepEqual(render.units, ['named.service', 'mcdebian-bind-keys.service', 'mcdebian-dns-blacklist.service']);
  t.deepEqual(render.checks.map((check) => check.argv[0]), ['named-checkconf', 'named-checkzone', 'node', 'id']);
});

testWithTools({ 'named-checkzone': 'bind9-utils', 'named-checkconf': 'bind9-utils' }, 'a seed with an underscore passes the build\'s zone check without a warning, and named loads it with the rendered zone statement', async (t) => {
  const dir = await makeTempDir(t);
  const render = renderDnsBlacklist(parse({ seed: ['a_b.example', 'pixel_1.tracker.example', 'ads.example'] }), files(), router);
  const at = (path: string) => render.files.find((file) => file.path === path)?.content ?? '';
  const zoneFile = join(dir, 'rpz.mcdebian.db');
  await writeFile(zoneFile, at('/usr/share/mcdebian/dns-blacklist/rpz.mcdebian.db'));
  // the build's check as it runs in the image, on the host's copy of the zone
  const argv = render.checks.find((check) => check.argv[0] === 'named-checkzone')?.argv ?? [];
  const checked = await execa(argv[0]!, [...argv.slice(1, -1), zoneFile], { reject: false, all: true });
  t.is(checked.exitCode, 0, checked.all);
  t.notRegex(checked.all, /check-names/, 'named-checkzone warned about a name named would refuse');
  await writeFile(join(dir, 'named.conf'), at('/etc/bind/named.conf.local').replace(DEBIAN_PATHS.zoneFile, zoneFile));
  const loaded = await execa('named-checkconf', ['-z', join(dir, 'named.conf')], { reject: false, all: true });
  t.is(loaded.exitCode, 0, loaded.all);
});
