import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getBoard } from '../../../board/index.js';
import type { ReadFile } from '../../../overlays/overlay.js';
import { loadKannelConf, readSettings } from '../../../overlays/smpp-relay/app/settings.js';
import { parseUserConf } from '../../../overlays/smpp-relay/conf.js';
import { smppRelay } from '../../../overlays/smpp-relay/overlay.js';
import { renderSmppRelay } from '../../../overlays/smpp-relay/render.js';
import { smppRelaySchema, type SmppRelayConfig } from '../../../overlays/smpp-relay/schema.js';

const router = { board: getBoard('wrt1200ac'), hostname: 'gw1', lanAddress: '192.168.7.1/24' };
const server = { board: getBoard('x86-64'), hostname: 'sms1', lanAddress: '192.168.1.1/24' };
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../../test/fixtures/smpp-relay/${name}`, import.meta.url)), 'utf8');
const read = (field: (string | number)[], path: string, content: string, secret = true): ReadFile => ({ field, path, file: `/cfg/${path}`, content, secret, generated: false });

const yaml = (extra: object = {}): SmppRelayConfig => smppRelaySchema.parse({
  smsc: [
    { smscId: 'carrier', adminId: 'primary', host: 'smsc1.example', port: 2775, username: 'relay', passwordFile: 'secrets/smsc1', preferredSmscIds: ['carrier'], allowedSmscIds: ['carrier'] },
    { smscId: 'backup', host: 'smsc2.example', port: 2775, username: 'relay2', passwordFile: 'secrets/smsc2', allowedSmscIds: ['backup', 'carrier'], transceiverMode: true },
  ],
  users: [{ username: 'app', passwordFile: 'secrets/app', forcedSmsc: 'carrier' }],
  ...extra,
});
const yamlFiles = [
  read(['smsc', 0, 'passwordFile'], 'secrets/smsc1', 'pw "one"\n'),
  read(['smsc', 1, 'passwordFile'], 'secrets/smsc2', 'pw2\n'),
  read(['users', 0, 'passwordFile'], 'secrets/app', 'app-secret\n'),
];
const confOf = (render: ReturnType<typeof renderSmppRelay>) => render.files.find((file) => file.path === '/etc/mcdebian/secrets/smpp-relay/kannel.conf');

test('settings in mcdebian.yaml become a kannel.conf the relay reads as they were meant, passwords from their files', (t) => {
  const conf = confOf(renderSmppRelay(yaml(), yamlFiles, router));
  t.is(conf?.mode, 0o600);
  t.like(conf?.secret, { overlay: 'smpp-relay', field: 'smsc.0.passwordFile, smsc.1.passwordFile, users.0.passwordFile' });
  const parsed = parseUserConf(conf?.content ?? '', 'kannel.conf');
  const { settings, issues } = readSettings(parsed.groups, 'kannel.conf');
  t.deepEqual(issues.filter((issue) => issue.severity === 'error'), []);
  t.like(settings?.links[0], { name: 'primary', smscId: 'carrier', password: 'pw "one"', preferredSmscIds: ['carrier'], transceiver: false });
  t.like(settings?.links[1], { name: 'backup', allowedSmscIds: ['backup', 'carrier'], transceiver: true });
  t.like(settings?.users[0], { username: 'app', password: 'app-secret', forcedSmsc: 'carrier', maxMessages: 10, concatenation: true });
  t.like(settings?.core, { storeLocation: '/var/lib/mcdebian-smpp-relay/messages/', adminInterface: '192.168.7.1' });
  t.is(settings?.smsbox.sendsmsInterface, '192.168.7.1', 'on a router the API listens on the LAN only');
});

test('on a server the HTTP side listens on every address unless told otherwise', (t) => {
  const parsed = parseUserConf(confOf(renderSmppRelay(yaml(), yamlFiles, server))?.content ?? '', 'kannel.conf');
  const settings = readSettings(parsed.groups).settings;
  t.is(settings?.smsbox.sendsmsInterface, undefined);
  t.is(settings?.core.adminInterface, undefined);
});

test('an existing kannel.conf (the published active-passive example) is used unchanged, with the device\'s store', (t) => {
  const original = fixture('active-passive.conf');
  const render = renderSmppRelay(smppRelaySchema.parse({ kannelConf: 'kannel.conf' }), [read(['kannelConf'], 'kannel.conf', original)], router);
  const device = readSettings(parseUserConf(confOf(render)?.content ?? '', 'kannel.conf').groups).settings;
  const mine = loadKannelConf('active-passive.conf', () => original).settings;
  t.deepEqual(device?.links.map(({ origin: _origin, ...link }) => link), mine?.links.map(({ origin: _origin, ...link }) => link));
  t.deepEqual(device?.users.map(({ origin: _origin, ...user }) => user), mine?.users.map(({ origin: _origin, ...user }) => user));
  t.is(device?.core.storeLocation, '/var/lib/mcdebian-smpp-relay/messages/');
});

test('the layer holds the unit, its user and the check command; the image checks the bundle and the config', (t) => {
  const render = renderSmppRelay(yaml(), yamlFiles, router);
  const unit = render.files.find((file) => file.path === '/etc/systemd/system/mcdebian-smpp-relay.service')?.content ?? '';
  t.regex(unit, /^ExecStart=\/usr\/bin\/node \/usr\/lib\/mcdebian\/smpp-relay\/main\.mjs serve --config %d\/kannel\.conf$/m);
  t.regex(unit, /^LoadCredential=kannel\.conf:\/etc\/mcdebian\/secrets\/smpp-relay\/kannel\.conf$/m);
  t.regex(unit, /^User=smpprelay$/m);
  t.regex(unit, /^StateDirectory=mcdebian-smpp-relay\/messages$/m);
  t.regex(unit, /^CapabilityBoundingSet=$/m, 'no capabilities for ports above 1023');
  t.regex(unit, /^RestartPreventExitStatus=78 74$/m, 'no restarts on a config error, nor on a store that cannot be read');
  t.deepEqual(render.units, ['mcdebian-smpp-relay.service']);
  t.deepEqual(render.checks.map((check) => check.argv.slice(0, 3)), [['node', '--check', '/usr/lib/mcdebian/smpp-relay/main.mjs'], ['node', '/usr/lib/mcdebian/smpp-relay/main.mjs', 'check'], ['id', 'smpprelay']]);
  t.regex(render.notes.at(-1) ?? '', /2 links \(carrier smsc1\.example, backup smsc2\.example\), sendsms on 192\.168\.7\.1:13013/);
  t.true(render.notes.includes('warning: admin-password is missing: Kannel refuses to start without it, and the relay\'s status endpoint is open to anyone who reaches admin-port'));
});

const issuesOf = (config: SmppRelayConfig, files: ReadFile[]) => smppRelay.validate?.(config, files, { board: router.board }) ?? [];

test('a kannel.conf with a key the relay does not do is refused, naming the file, line and key', (t) => {
  const text = `${fixture('active-active.conf')}\ngroup = sms-service\nkeyword = default\ntext = "x"\n`;
  const issues = issuesOf(smppRelaySchema.parse({ kannelConf: 'kannel.conf' }), [read(['kannelConf'], 'kannel.conf', text)]);
  t.is(issues.length, 1);
  t.deepEqual(issues[0]?.field, ['kannelConf']);
  t.regex(issues[0]?.message ?? '', /^kannel\.conf:\d+: error: group sms-service: /);
});

test('a kannel.conf naming files of the build host for TLS is refused with the overlay field to use', (t) => {
  const text = fixture('active-active.conf').replace('group = core\n', 'group = core\nssl-trusted-ca-file = /etc/ssl/my-ca.pem\n');
  const issues = issuesOf(smppRelaySchema.parse({ kannelConf: 'kannel.conf' }), [read(['kannelConf'], 'kannel.conf', text)]);
  t.true(issues.some((issue) => /ssl-trusted-ca-file names a file on this machine.*overlays\.smpp-relay\.trustedCaFile/.test(issue.message)));
});

test('a problem the relay finds in settings from mcdebian.yaml points at the field', (t) => {
  const config = yaml({ smsc: [{ smscId: 'a', host: 'h', port: 2775, username: 'u', passwordFile: 'secrets/smsc1', sourceAddrTon: 1 }], users: [{ username: 'app', passwordFile: 'secrets/app' }, { username: 'app', passwordFile: 'secrets/app' }] });
  const files = [read(['smsc', 0, 'passwordFile'], 'secrets/smsc1', 'x'), read(['users', 0, 'passwordFile'], 'secrets/app', 'y'), read(['users', 1, 'passwordFile'], 'secrets/app', 'y')];
  const issues = issuesOf(config, files);
  t.true(issues.some((issue) => issue.field.join('.') === 'users.1.username' && /username/.test(issue.message)), JSON.stringify(issues));
});

test('kannelConf and settings here together, or no link at all, are refused', (t) => {
  const both = issuesOf(yaml({ kannelConf: 'kannel.conf' }), [read(['kannelConf'], 'kannel.conf', fixture('active-active.conf')), ...yamlFiles]);
  t.true(both.some((issue) => /remove smsc and users here, or kannelConf/.test(issue.message)));
  t.deepEqual(issuesOf(smppRelaySchema.parse({}), []).map((issue) => issue.field), [['smsc']]);
});

test('the bundled relay runs under plain node, without node_modules: check reads a kannel.conf, and a bad one exits 78', async (t) => {
  const { bundleNodeService } = await import('../../../overlays/bundle.js');
  const { execa } = await import('execa');
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'smpp-relay-bundle-'));
  try {
    const service = smppRelay.nodeServices![0]!;
    await writeFile(join(dir, 'main.mjs'), await bundleNodeService(service));
    await writeFile(join(dir, 'good.conf'), fixture('active-active.conf'));
    await writeFile(join(dir, 'bad.conf'), `${fixture('active-active.conf')}\ngroup = sms-service\nkeyword = default\n`);
    const good = await execa('node', [join(dir, 'main.mjs'), 'check', '--config', join(dir, 'good.conf')], { cwd: dir, reject: false });
    t.is(good.exitCode, 0, good.stderr);
    t.regex(good.stdout, /2 links \(smpp_carrier_gw\), 1 sendsms users/);
    const bad = await execa('node', [join(dir, 'main.mjs'), 'check', '--config', join(dir, 'bad.conf')], { cwd: dir, reject: false });
    t.is(bad.exitCode, 78);
    t.regex(bad.stderr, /bad\.conf:\d+: error: group sms-service/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
