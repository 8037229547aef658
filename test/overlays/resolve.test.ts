/** The `overlays:` section of mcdebian.yaml as loadConfig checks it: schemas, files, secrets. */
import test from 'ava';
import { execa } from 'execa';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../build/config/issues.js';
import { loadConfig } from '../../build/config/load.js';
import { overlays } from '../../overlays/index.js';
import { defineOverlay } from '../../overlays/overlay.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, writeFiles } from '../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';

async function workspace(t: Parameters<typeof makeTempDir>[0], callhome: string[], files: Record<string, string> = {}) {
  const dir = await makeTempDir(t);
  const yaml = ['board: wrt1200ac', 'hostname: gw1', 'overlays:', '  callhome:', ...callhome.map((line) => `    ${line}`), ''].join('\n');
  await writeFiles(dir, { 'mcdebian.yaml': yaml, 'hq.pub': HOST_KEY, ...files });
  return { dir, file: join(dir, 'mcdebian.yaml') };
}

const MINIMAL = ['host: hq.example', 'hostKey: hq.pub', 'remotePort: 5000'];

test('callhome with the required fields loads with its defaults and its host key read', async (t) => {
  const { file } = await workspace(t, MINIMAL);
  const config = await loadConfig({ file });
  const [resolved] = config.resolvedOverlays;
  t.is(resolved?.overlay.name, 'callhome');
  t.like(resolved?.config, { host: 'hq.example', port: 22, user: 'callhome', remotePort: 5000, serverAliveInterval: 3, restartSec: 1 });
  t.is(resolved?.files.find((f) => f.field[0] === 'hostKey')?.content, HOST_KEY);
});

test('plan leaves a missing generated key pending; build makes it once and reuses it', async (t) => {
  const { dir, file } = await workspace(t, MINIMAL);
  const planned = await loadConfig({ file });
  const pending = planned.resolvedOverlays[0]!.files.find((f) => f.field[0] === 'privateKey')!;
  t.is(pending.content, undefined);
  await t.throwsAsync(stat(join(dir, 'secrets')), { code: 'ENOENT' });
  const built = await loadConfig({ file, generateSecrets: true });
  const key = built.resolvedOverlays[0]!.files.find((f) => f.field[0] === 'privateKey')!;
  t.is(key.file, join(dir, 'secrets', 'mcdebian', 'callhome-tunnel-key'));
  t.true(key.generated);
  t.regex(key.content ?? '', /BEGIN OPENSSH PRIVATE KEY/);
  t.is((await stat(key.file)).mode & 0o777, 0o600);
  const again = await loadConfig({ file, generateSecrets: true });
  t.is(again.resolvedOverlays[0]!.files.find((f) => f.field[0] === 'privateKey')!.content, key.content);
  t.false(again.resolvedOverlays[0]!.files.find((f) => f.field[0] === 'privateKey')!.generated);
});

const rejects = test.macro({
  async exec(t, callhome: string[], expected: RegExp, files: Record<string, string> = {}) {
    const { file } = await workspace(t, callhome, files);
    const error = await t.throwsAsync(loadConfig({ file, generateSecrets: true }), { instanceOf: ConfigError });
    t.regex(error.message, expected);
  },
  title: (given) => `callhome ${given} is refused, naming line and field`,
});

test('without a pinned host key', rejects, ['host: hq.example', 'remotePort: 5000'], /mcdebian\.yaml:5: overlays\.callhome\.hostKey: is required/);
test('with a privileged remote port', rejects, ['host: hq.example', 'hostKey: hq.pub', 'remotePort: 80'],
  /mcdebian\.yaml:7: overlays\.callhome\.remotePort: must be 1024 or more/);
test('with a misspelt field', rejects, [...MINIMAL, 'serverAliveIntervall: 3'],
  /mcdebian\.yaml:8: overlays\.callhome\.serverAliveIntervall: unknown key .*did you mean "serverAliveInterval"/);
test('with a bad host', rejects, ['host: "hq example"', 'hostKey: hq.pub', 'remotePort: 5000'], /:5: overlays\.callhome\.host: must be a host name or an IP address/);
test('with a missing secret file', rejects, [...MINIMAL, 'privateKey: keys/tunnel'],
  /mcdebian\.yaml:8: overlays\.callhome\.privateKey: secret file keys\/tunnel not found \(looked for .*keys\/tunnel\); create it or fix the path/);
test('with a host key file that holds no key', rejects, MINIMAL, /:6: overlays\.callhome\.hostKey: hq\.pub holds no public key/, { 'hq.pub': '\n' });
test('with a directory as the host key', rejects, ['host: hq.example', 'hostKey: keys', 'remotePort: 5000'], /:6: overlays\.callhome\.hostKey: cannot read keys \(EISDIR\); it must be a readable file/, { 'keys/x': '' });
test('with a public key as the private key', rejects, [...MINIMAL, 'privateKey: hq.pub'], /:8: overlays\.callhome\.privateKey: hq\.pub is a public key/);

test('callhome with a passphrase-protected key is refused', async (t) => {
  const { dir, file } = await workspace(t, [...MINIMAL, 'privateKey: locked']);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pw', '-f', join(dir, 'locked')]);
  await t.throwsAsync(loadConfig({ file }), { instanceOf: ConfigError, message: /overlays\.callhome\.privateKey: locked is protected by a passphrase/ });
});

test('an overlay on a board whose architecture it does not support is refused', async (t) => {
  const x86Only = defineOverlay<{ size: number }>({
    name: 'vote-test', summary: '', architectures: ['amd64'], schema: z.strictObject({ size: z.int().default(1) }),
    packages: () => [], files: () => [], render: () => ({ files: [], units: [], checks: [], outputs: [], notes: [] }),
  });
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'mcdebian.yaml': 'board: wrt1200ac\noverlays:\n  vote-test: {}\n' });
  await t.throwsAsync(loadConfig({ file: join(dir, 'mcdebian.yaml'), overlays: [...overlays, x86Only] }), {
    message: /:3: overlays\.vote-test: runs on amd64, not on wrt1200ac \(armhf\); remove it for this board/,
  });
});

const HASH = 'scrypt$32768$8$1$ADTSPetrTNydE7VQAIa/6Q==$YoICnOJE8CVY2/22AHgwD2xizc+oE8t6nWGKV85EbWc=\n';

/** A callhome whose key is still to be generated, beside another overlay's section. */
async function withOtherOverlay(t: Parameters<typeof makeTempDir>[0], board: string, other: string[]) {
  const dir = await makeTempDir(t);
  const yaml = [`board: ${board}`, 'hostname: gw1', 'overlays:', `  callhome: { ${MINIMAL.join(', ')} }`, ...other.map((line) => `  ${line}`), ''].join('\n');
  await writeFiles(dir, { 'mcdebian.yaml': yaml, 'hq.pub': HOST_KEY, 'keys/hash': HASH });
  return { dir, file: join(dir, 'mcdebian.yaml') };
}

const writesNothing = test.macro({
  async exec(t, board: string, other: string[], expected: RegExp) {
    const { dir, file } = await withOtherOverlay(t, board, other);
    const error = await t.throwsAsync(loadConfig({ file, generateSecrets: true }), { instanceOf: ConfigError });
    t.regex(error?.message ?? '', expected);
    await t.throwsAsync(stat(join(dir, 'secrets')), { code: 'ENOENT' }, 'no key was generated');
  },
  title: (given) => `a config with callhome and ${given} is refused without generating the tunnel key`,
});

test('a kannelConf that does not exist', writesNothing, 'wrt1200ac', ['smpp-relay: { kannelConf: missing.conf }'], /overlays\.smpp-relay\.kannelConf: secret file missing\.conf not found/);
test('a sink the board cannot have', writesNothing, 'qemu-armhf', ['dns-blacklist: { sink: lan, api: { passwordHash: keys/hash } }'], /overlays\.dns-blacklist\.sink: is "lan", but this board has no LAN bridge/);
test('a misspelt dns-blacklist key', writesNothing, 'wrt1200ac', ['dns-blacklist: { sinc: lan, api: { passwordHash: keys/hash } }'], /overlays\.dns-blacklist\.sinc: unknown key/);

test('mcdebian build refuses a config with an smpp-relay error and leaves no secrets/ behind', async (t) => {
  const { dir } = await withOtherOverlay(t, 'wrt1200ac', ['smpp-relay: { kannelConf: missing.conf }']);
  const result = await runCli(['build', '-c', 'mcdebian.yaml', '--offline'], { cwd: dir, env: { XDG_CACHE_HOME: join(dir, 'cache') } });
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, /overlays\.smpp-relay\.kannelConf: secret file missing\.conf not found/);
  await t.throwsAsync(stat(join(dir, 'secrets')), { code: 'ENOENT' });
});
