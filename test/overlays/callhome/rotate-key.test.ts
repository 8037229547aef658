/** mcdebian callhome rotate-key: a new pair only when asked, the old one kept beside it. */
import test from 'ava';
import { execa } from 'execa';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { commandHost } from '../../../build/commands/overlay-command-host.js';
import { loadConfig } from '../../../build/config/load.js';
import { UserError } from '../../../build/core/errors.js';
import { silentLogger } from '../../../build/core/log.js';
import { fingerprintOf, publicKeyOf } from '../../../overlays/callhome/keys.js';
import { runRotateKey, type RotationReport } from '../../../overlays/callhome/rotate-key.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';
const YAML = 'board: wrt1200ac\nhostname: gw1\noverlays:\n  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }\n';

async function workspace(t: Parameters<typeof makeTempDir>[0]) {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'gw.yaml': YAML, 'hq.pub': HOST_KEY });
  return { dir, key: join(dir, 'secrets', 'gw', 'callhome-tunnel-key') };
}

/** Runs rotate-key in `dir`; its stdout. */
async function rotate(dir: string, json: boolean): Promise<string> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  await runRotateKey({ stdout, logger: silentLogger, env: {}, cwd: dir }, commandHost, { file: 'gw.yaml', json });
  return text;
}

const fingerprintAt = async (file: string) => fingerprintOf(publicKeyOf(await readFile(file, 'utf8')));

test('rotate-key makes a new pair, keeps the old one as .old, and gives the managed host\'s new line and the steps', async (t) => {
  const { dir, key } = await workspace(t);
  await loadConfig({ file: join(dir, 'gw.yaml'), generateSecrets: true });
  const [oldKey, oldPub] = [await readFile(key, 'utf8'), await readFile(`${key}.pub`, 'utf8')];
  const report = JSON.parse(await rotate(dir, true)) as RotationReport;
  t.is(await readFile(`${key}.old`, 'utf8'), oldKey);
  t.is(await readFile(`${key}.old.pub`, 'utf8'), oldPub);
  t.not(await readFile(key, 'utf8'), oldKey);
  t.deepEqual(report.key, { file: 'secrets/gw/callhome-tunnel-key', fingerprint: await fingerprintAt(key) });
  t.deepEqual(report.old, { file: 'secrets/gw/callhome-tunnel-key.old', fingerprint: await fingerprintAt(`${key}.old`) });
  const blob = (await readFile(`${key}.pub`, 'utf8')).split(' ')[1];
  t.is(report.farSide.authorizedKeys.line, `restrict,port-forwarding,permitlisten="localhost:5000",command="/bin/false" ssh-ed25519 ${blob} mcdebian-callhome@gw1`);
  t.is(report.farSide.sshdConfig.path, '/etc/ssh/sshd_config.d/mcdebian-callhome-callhome.conf');
  t.is(report.next.length, 3);
  t.regex(report.next[0]!, /^mcdebian callhome install-host --host hq\.example -c gw\.yaml: .*beside the old key's/);
  t.regex(report.next[2]!, /--force removes the old key's line; then delete secrets\/gw\/callhome-tunnel-key\.old/);
  const rebuilt = await loadConfig({ file: join(dir, 'gw.yaml'), generateSecrets: true });
  t.is(rebuilt.resolvedOverlays[0]!.files.find((file) => file.field[0] === 'privateKey')!.content, await readFile(key, 'utf8'), 'the next build uses the new key');
});

test('rotate-key refuses while an earlier rotation\'s .old pair is still there, and changes nothing', async (t) => {
  const { dir, key } = await workspace(t);
  await rotate(dir, false);
  await rotate(dir, false);
  const current = await readFile(key, 'utf8');
  await t.throwsAsync(rotate(dir, false), { instanceOf: UserError, message: /secrets\/gw\/callhome-tunnel-key\.old is still there from an earlier rotation/ });
  t.is(await readFile(key, 'utf8'), current);
});

test('rotate-key keeps a key from where earlier versions made it as the .old pair', async (t) => {
  const { dir, key } = await workspace(t);
  const former = join(dir, 'secrets', 'gw1', 'callhome-tunnel-key');
  await mkdir(join(dir, 'secrets', 'gw1'), { recursive: true });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', former]);
  const oldKey = await readFile(former, 'utf8');
  const text = await rotate(dir, false);
  t.is(await readFile(`${key}.old`, 'utf8'), oldKey);
  t.regex(text, /^New tunnel key for gw\.yaml: secrets\/gw\/callhome-tunnel-key \(SHA256:[\w+/]+\)\nThe old key \(SHA256:[\w+/]+\) is kept as secrets\/gw\/callhome-tunnel-key\.old/);
  t.regex(text, /\nNext:\n {2}1\. mcdebian callhome install-host/);
});

test('rotate-key with no key yet makes the first one, with nothing to keep', async (t) => {
  const { dir, key } = await workspace(t);
  const report = JSON.parse(await rotate(dir, true)) as RotationReport;
  t.is(report.old, undefined);
  t.is(report.next.length, 2);
  t.regex(await readFile(key, 'utf8'), /BEGIN OPENSSH PRIVATE KEY/);
});

test('mcdebian callhome rotate-key names what is missing: the config, or its callhome section', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'plain.yaml': 'board: wrt1200ac\n' });
  const bare = await runCli(['callhome', 'rotate-key'], { cwd: dir });
  t.is(bare.exitCode, 2);
  t.regex(bare.stderr, /callhome rotate-key needs -c FILE/);
  const plain = await runCli(['callhome', 'rotate-key', '-c', 'plain.yaml'], { cwd: dir });
  t.is(plain.exitCode, 1);
  t.regex(plain.stderr, /plain\.yaml has no overlays\.callhome section/);
});
