import test, { type ExecutionContext } from 'ava';
import { lstat, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword } from '../../../overlays/dns-blacklist/app/password.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';
const ADMIN_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bW1veS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw admin@test\n';

interface RenderReport {
  board: string;
  units: string[];
  files: { path: string; type: string; mode: string; secret?: boolean }[];
  outputs: { path: string }[];
}

/** A qemu-armhf config with all three overlays, their files beside it; the mirror is never asked. */
async function workspace(t: ExecutionContext) {
  const dir = await makeTempDir(t);
  await writeFiles(dir, {
    'mcdebian.yaml': [
      'board: qemu-armhf', 'hostname: branch7', 'mirror: http://127.0.0.1:9/debian', 'securityMirror: http://127.0.0.1:9/debian-security',
      'users: [{ name: root, authorizedKeys: [keys/admin.pub] }]',
      'overlays:',
      '  callhome: { host: hq.example, hostKey: keys/hq.pub, remotePort: 5000 }',
      '  dns-blacklist: { sink: 10.0.2.15, seed: [bad.example], api: { passwordHash: keys/api-hash } }',
      '  smpp-relay:',
      '    smsc: [{ smscId: carrier, host: 10.0.2.2, port: 2775, username: branch7, passwordFile: keys/smsc-password }]',
      '    users: [{ username: app, passwordFile: keys/sendsms-password, defaultSmsc: carrier }]',
      '',
    ].join('\n'),
    'keys/hq.pub': HOST_KEY,
    'keys/admin.pub': ADMIN_KEY,
    'keys/smsc-password': 'smsc-pw\n',
    'keys/sendsms-password': 'sendsms-pw\n',
  });
  await writeFile(join(dir, 'keys', 'api-hash'), `${await hashPassword('render test password')}\n`, { mode: 0o600 });
  return { dir, env: { XDG_CACHE_HOME: join(dir, 'cache'), HOME: dir } };
}

const modeOf = async (path: string) => ((await lstat(path)).mode & 0o7777).toString(8).padStart(4, '0');

test('render writes the layer with its modes, the far side and render.json, without secrets in the listing', async (t) => {
  const { dir, env } = await workspace(t);
  const result = await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'rendered', '--json'], { cwd: dir, env });
  t.is(result.exitCode, 0, result.stderr);
  const report = JSON.parse(result.stdout) as RenderReport;
  t.is(report.board, 'qemu-armhf');
  const layer = join(dir, 'rendered', 'layer');
  t.is(await readFile(join(layer, 'etc/hostname'), 'utf8'), 'branch7\n');
  t.is(await readFile(join(layer, 'root/.ssh/authorized_keys'), 'utf8'), ADMIN_KEY);
  const secrets = report.files.filter((file) => file.secret).map((file) => file.path);
  t.deepEqual(secrets, ['/etc/mcdebian/secrets/callhome/tunnel-key', '/etc/mcdebian/secrets/dns-blacklist/password-hash', '/etc/mcdebian/secrets/smpp-relay/kannel.conf']);
  for (const secret of secrets) t.is(await modeOf(join(layer, secret)), '0600', secret);
  for (const file of report.files.filter((entry) => entry.type !== 'symlink')) t.is(await modeOf(join(layer, file.path)), file.mode.padStart(4, '0'), file.path);
  t.is(await readlink(join(layer, 'etc/systemd/system/getty.target.wants/serial-getty@ttyAMA0.service')), '/usr/lib/systemd/system/serial-getty@.service');
  t.regex(await readFile(join(layer, 'usr/lib/mcdebian/smpp-relay/main.mjs'), 'utf8'), /sendsms/, 'the bundled service is in the layer');
  t.true(report.units.includes('mcdebian-callhome.service'));
  t.regex(await readFile(join(dir, 'rendered', 'callhome', 'authorized_keys'), 'utf8'), /^restrict,port-forwarding,permitlisten="localhost:5000"/);
  const listing = await readFile(join(dir, 'rendered', 'render.json'), 'utf8');
  t.false(/PRIVATE KEY|scrypt\$|smsc-pw|sendsms-pw/.test(listing), 'render.json lists secrets by path, never their content');
  t.regex(result.stderr, /generated .*secrets\/.*callhome-tunnel-key/);
});

test('render refuses a non-empty directory, and --force replaces only a previous render', async (t) => {
  const { dir, env } = await workspace(t);
  await writeFiles(dir, { 'notes/todo.txt': 'mine\n' });
  const refused = await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'notes'], { cwd: dir, env });
  t.is(refused.exitCode, 1);
  t.regex(refused.stderr, /error: \S+notes is not empty\nhint: give an empty or new directory, or --force/);
  const forced = await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'notes', '--force'], { cwd: dir, env });
  t.is(forced.exitCode, 1);
  t.regex(forced.stderr, /holds no previous render/);
  t.is(await readFile(join(dir, 'notes', 'todo.txt'), 'utf8'), 'mine\n', 'nothing of the user\'s was removed');
  t.is((await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'out1'], { cwd: dir, env })).exitCode, 0);
  t.is((await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'out1'], { cwd: dir, env })).exitCode, 1);
  const again = await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'out1', '--force'], { cwd: dir, env });
  t.is(again.exitCode, 0, again.stderr);
});

test('render without --out is a usage error', async (t) => {
  const result = await runCli(['render', '-c', 'mcdebian.yaml']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /error: render needs --out DIR/);
});
