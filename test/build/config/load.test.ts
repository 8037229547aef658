import test from 'ava';
import { join } from 'node:path';
import { ConfigError } from '../../../build/config/issues.js';
import { loadConfig } from '../../../build/config/load.js';
import { UserError } from '../../../build/core/errors.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bW1veS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw admin@test';

async function configIn(t: Parameters<typeof makeTempDir>[0], yaml: string, extra: Record<string, string> = {}) {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'mcdebian.yaml': yaml, 'keys/admin.pub': `${PUBLIC_KEY}\n`, ...extra });
  return join(dir, 'mcdebian.yaml');
}

test('a complete config loads with its key files read and defaults filled in', async (t) => {
  const file = await configIn(t, [
    'board: wrt1200ac',
    'hostname: gw1.example.net',
    'packages: [htop, tcpdump]',
    'users:',
    '  - name: root',
    '    authorizedKeys: [keys/admin.pub]',
    'network:',
    '  lan: { address: 10.0.0.1/24 }',
    'image: { size: 4GiB }',
  ].join('\n'));
  const config = await loadConfig({ file });
  t.is(config.board.id, 'wrt1200ac');
  t.is(config.suite, 'trixie');
  t.is(config.hostname, 'gw1.example.net');
  t.deepEqual(config.packages, ['htop', 'tcpdump']);
  t.is(config.users[0]?.authorizedKeys[0]?.key, PUBLIC_KEY);
  t.is(config.network.lan.address, '10.0.0.1/24');
  t.deepEqual(config.network.wan, { mode: 'dhcp' });
  t.is(config.image.size, 4 * 1024 ** 3);
  t.is(config.output, 'out');
});

test('without a file, --board alone gives the defaults', async (t) => {
  const config = await loadConfig({ board: 'qemu-armhf', cwd: '/tmp' });
  t.is(config.board.id, 'qemu-armhf');
  t.is(config.hostname, 'mcdebian');
  t.is(config.image.size, 2 * 1024 ** 3);
  t.is(config.network.lan.address, '192.168.1.1/24');
});

const rejects = test.macro({
  async exec(t, yaml: string, expected: RegExp, options: { board?: string; extra?: Record<string, string> } = {}) {
    const file = await configIn(t, yaml, options.extra);
    const error = await t.throwsAsync(loadConfig({ file, board: options.board }), { instanceOf: ConfigError });
    t.regex(error.message, expected);
  },
  title: (given) => `a config with ${given} is rejected, naming file, line, field and fix`,
});

const syntaxError = test.macro({
  async exec(t, yaml: string, expected: RegExp) {
    const file = await configIn(t, yaml);
    const error = await t.throwsAsync(loadConfig({ file }), { instanceOf: ConfigError });
    t.regex(error.message, expected);
    t.false(error.message.split('\n').slice(1).some((line) => line.endsWith(':')), 'no issue ends on a bare colon');
    t.notRegex(`${error.message} ${error.hint}`, /README/, 'a syntax error is fixed in the file, not looked up elsewhere');
    t.regex(error.hint ?? '', /YAML syntax at the line and column shown/);
  },
  title: (given) => `YAML with ${given} is rejected naming what is wrong, its line and column, and the text there`,
});

test('a flow sequence left open', syntaxError, 'board: wrt1200ac\nhostname: [unclosed\n',
  /mcdebian\.yaml:3:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a \] after "hostname: \[unclosed"/);
test('a duplicate key', syntaxError, 'board: wrt1200ac\nboard: wrt3200acm\n', /mcdebian\.yaml:2:1: YAML syntax: Map keys must be unique at "board: wrt3200acm"/);
test('a mapping nested on one line', syntaxError, 'board: wrt1200ac\nhostname: gw1: x\n', /mcdebian\.yaml:2:11: YAML syntax: Nested mappings are not allowed in compact mappings at "gw1: x"/);
test('a tab as indentation', syntaxError, 'board: wrt1200ac\npackages:\n\t- htop\n', /mcdebian\.yaml:3:1: YAML syntax: Tabs are not allowed as indentation at "\\t- htop"/);
test('an unknown key', rejects, 'board: wrt1200ac\nhostnme: gw1\n',
  /mcdebian\.yaml:2: hostnme: unknown key "hostnme" \(did you mean "hostname"\?\); allowed here: board, suite/);
test('an unknown nested key', rejects, 'board: wrt1200ac\nnetwork:\n  lan:\n    adress: 10.0.0.1/24\n',
  /mcdebian\.yaml:4: network\.lan\.adress: unknown key "adress" \(did you mean "address"\?\)/);
test('a wrong type', rejects, 'board: wrt1200ac\npackages: htop\n', /mcdebian\.yaml:2: packages: must be a list, not string/);
test('a wrong type in a list', rejects, 'board: wrt1200ac\npackages:\n  - htop\n  - 42\n', /mcdebian\.yaml:4: packages\[1\]: must be a string, not number/);
test('an unknown board', rejects, 'board: wrt1200\n', /mcdebian\.yaml:1: board: unknown board "wrt1200" \(did you mean "wrt1200ac"\?\); choose one of/);
test('a board that disagrees with --board', rejects, 'board: wrt1200ac\n', /board: is "wrt1200ac" but --board says "wrt3200acm"/, { board: 'wrt3200acm' });
test('no board at all', rejects, 'hostname: gw1\n', /board: is required: pass --board ID or set board:/);
test('a missing key file', rejects, 'board: wrt1200ac\nusers:\n  - name: root\n    authorizedKeys: [keys/missing.pub]\n',
  /mcdebian\.yaml:4: users\[0\]\.authorizedKeys\[0\]: key file keys\/missing\.pub not found .*ssh-keygen/);
test('a private key where a public key belongs', rejects, 'board: wrt1200ac\nusers:\n  - name: root\n    authorizedKeys: [keys/id]\n',
  /keys\/id is a private key; name the public key file/, { extra: { 'keys/id': '-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n' } });
test('a bad host name', rejects, 'board: wrt1200ac\nhostname: -bad_name\n', /mcdebian\.yaml:2: hostname: must be a host name/);
test('a bad LAN address', rejects, 'board: wrt1200ac\nnetwork:\n  lan: { address: 192.168.1.300/24 }\n',
  /mcdebian\.yaml:3: network\.lan\.address: must be an IPv4 address with a prefix length/);
test('a static wan without a gateway', rejects, 'board: wrt1200ac\nnetwork:\n  wan: { mode: static, address: 203.0.113.2/24 }\n',
  /network\.wan\.gateway: is required/);
test('a bad package name', rejects, 'board: wrt1200ac\npackages: ["Bad Package"]\n', /packages\[0\]: must be a Debian package name/);
test('a bad image size', rejects, 'board: wrt1200ac\nimage: { size: lots }\n', /image\.size: must be a size such as 2GiB/);
test('an unknown overlay', rejects, 'board: wrt1200ac\noverlays:\n  callhom: {}\n', /mcdebian\.yaml:3: overlays\.callhom: unknown key "callhom" \(did you mean "callhome"\?\); allowed here: callhome/);
test('a top level that is not a mapping', rejects, '- board\n', /the file must be a YAML mapping/);
test('every problem at once', rejects, 'board: nope\nhostnme: x\nsuite: 7\n', /:1: board: unknown board[\s\S]*:2: hostnme[\s\S]*:3: suite/);

test('a config file that does not exist is a UserError naming it', async (t) => {
  const error = await t.throwsAsync(loadConfig({ file: '/nonexistent/mcdebian.yaml' }), { instanceOf: UserError });
  t.regex(error.message, /cannot read config file \/nonexistent\/mcdebian\.yaml: no such file/);
});

const HASH = 'scrypt$32768$8$1$ADTSPetrTNydE7VQAIa/6Q==$YoICnOJE8CVY2/22AHgwD2xizc+oE8t6nWGKV85EbWc=\n';

/** Every line of a ConfigError, without the file's directory. */
async function issueLines(t: Parameters<typeof makeTempDir>[0], yaml: string[]): Promise<string[]> {
  const file = await configIn(t, yaml.join('\n'), { 'keys/hash': HASH, 'keys/empty.pub': '\n' });
  const error = await t.throwsAsync(loadConfig({ file }), { instanceOf: ConfigError });
  return (error?.message ?? '').split('\n').slice(1).map((line) => line.trim().replace(/^.*mcdebian\.yaml:/, ''));
}

test('a key typo does not hide the overlays\' checks of their files or the checks that depend on the board', async (t) => {
  const lines = await issueLines(t, [
    'board: qemu-armhf',
    'hostnme: gw1',
    'overlays:',
    '  dns-blacklist:',
    '    sink: lan',
    '    api: { passwordHash: keys/hash }',
    '  callhome: { host: hq.example, hostKey: keys/empty.pub, remotePort: 5000 }',
  ]);
  t.is(lines.length, 3, lines.join('\n'));
  t.regex(lines[0]!, /^2: hostnme: unknown key "hostnme" \(did you mean "hostname"\?\)/);
  t.regex(lines[1]!, /^5: overlays\.dns-blacklist\.sink: is "lan", but this board has no LAN bridge/);
  t.regex(lines[2]!, /^7: overlays\.callhome\.hostKey: keys\/empty\.pub holds no public key/);
});

test('one overlay\'s schema error does not hide another overlay\'s, the users\' key files or the user files tree', async (t) => {
  const lines = await issueLines(t, [
    'board: wrt1200ac',
    'users: [{ name: root, authorizedKeys: [keys/missing.pub] }]',
    'files: no-such-tree',
    'overlays:',
    '  dns-blacklist: { sinkk: lan, api: { passwordHash: keys/hash } }',
    '  callhome: { host: hq.example, hostKey: keys/empty.pub, remotePort: 5000, privateKey: keys/absent }',
  ]);
  t.is(lines.length, 5, lines.join('\n'));
  t.regex(lines[0]!, /^2: users\[0\]\.authorizedKeys\[0\]: key file keys\/missing\.pub not found/);
  t.regex(lines[1]!, /^3: files: /);
  t.regex(lines[2]!, /^5: overlays\.dns-blacklist\.sinkk: unknown key "sinkk" \(did you mean "sink"\?\)/);
  t.regex(lines[3]!, /^6: overlays\.callhome\.hostKey: keys\/empty\.pub holds no public key/);
  t.regex(lines[4]!, /^6: overlays\.callhome\.privateKey: secret file keys\/absent not found/);
});

test('an unknown board does not hide the overlays\' checks that need no board', async (t) => {
  const lines = await issueLines(t, [
    'board: wrt1200',
    'overlays:',
    '  callhome: { host: hq.example, hostKey: keys/empty.pub, remotePort: 5000 }',
  ]);
  t.is(lines.length, 2, lines.join('\n'));
  t.regex(lines[0]!, /^1: board: unknown board "wrt1200"/);
  t.regex(lines[1]!, /^3: overlays\.callhome\.hostKey: keys\/empty\.pub holds no public key/);
});

const defaultSink = test.macro({
  async exec(t, board: string) {
    const file = await configIn(t, [`board: ${board}`, 'overlays:', '  dns-blacklist: { api: { passwordHash: keys/hash } }'].join('\n'), { 'keys/hash': HASH });
    const config = await loadConfig({ file });
    t.is(config.resolvedOverlays[0]?.overlay.name, 'dns-blacklist');
  },
  title: (board) => `dns-blacklist without a sink loads on ${board}`,
});

for (const board of ['wrt1200ac', 'qemu-armhf', 'x86-64']) test(board, defaultSink, board);
