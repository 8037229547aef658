/**
 * mcdebian callhome install-host against a real sshd on loopback, in a mount namespace of the
 * test's own (/etc and /home are copies: see managed-host-root.ts), logged in with flash's SSH
 * connection code as the CLI does. What it installs is proved by the tunnel's own key: it may
 * open its one reverse listener and nothing else.
 */
import { execa } from 'execa';
import { readFile, stat, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ExecutionContext } from 'ava';
import ssh2 from 'ssh2';
import { commandHost } from '../../../build/commands/overlay-command-host.js';
import { loadConfig } from '../../../build/config/load.js';
import { UserError } from '../../../build/core/errors.js';
import { silentLogger } from '../../../build/core/log.js';
import { runInstallHost, type InstallHostOptions, type InstallReport } from '../../../overlays/callhome/install-host.js';
import { runRotateKey } from '../../../overlays/callhome/rotate-key.js';
import { CLI } from '../../helpers/cli.js';
import { freePort } from '../../helpers/guest.js';
import { makePrivateRoot, type PrivateRoot } from './helpers/managed-host-root.js';
import { startManagedHost } from './helpers/managed-sshd.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';
import { testAsRootWithTools } from '../../helpers/tools.js';

const needs = { tools: { sshd: 'openssh-server', 'ssh-keygen': 'openssh-client', unshare: 'util-linux', useradd: 'passwd' }, why: 'sshd runs in a mount namespace of the test\'s own' };
const SNIPPET = 'ssh/sshd_config.d/mcdebian-callhome-callhome.conf';

interface Stand {
  dir: string;
  root: PrivateRoot;
  port: number;
  remotePort: number;
  /** The tunnel's private key, as the build generated it. */
  tunnelKey(): Promise<string>;
  install(options?: Partial<InstallHostOptions>): Promise<InstallReport>;
}

/** A managed host on 127.0.0.1 whose host key gw.yaml pins, and gw.yaml built once (its key generated). */
async function standUp(t: ExecutionContext, options: { pinOtherKey?: boolean } = {}): Promise<Stand> {
  const dir = await makeTempDir(t);
  const root = await makePrivateRoot(dir);
  for (const name of ['host_key', 'admin', 'other_host_key']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  const [port, remotePort] = [await freePort(), await freePort()];
  await writeFiles(dir, { 'gw.yaml': `board: wrt1200ac\nhostname: gw1\noverlays:\n  callhome: { host: 127.0.0.1, port: ${port}, hostKey: ${options.pinOtherKey ? 'other_host_key.pub' : 'host_key.pub'}, remotePort: ${remotePort} }\n` });
  await loadConfig({ file: join(dir, 'gw.yaml'), generateSecrets: true });
  const host = await startManagedHost({
    dir, port, hostKey: join(dir, 'host_key'), authorizedKeys: await readFile(join(dir, 'admin.pub'), 'utf8'),
    include: '/etc/ssh/sshd_config.d/*.conf', homeKeys: true, launcher: root.launcher,
  });
  t.teardown(() => host.stop());
  return {
    dir, root, port, remotePort,
    tunnelKey: () => readFile(join(dir, 'secrets', 'gw', 'callhome-tunnel-key'), 'utf8'),
    install: (extra = {}) => install(dir, { file: 'gw.yaml', host: '127.0.0.1', login: 'root', identity: join(dir, 'admin'), acceptNewHostKey: false, dryRun: false, force: false, json: true, ...extra }),
  };
}

async function install(dir: string, options: InstallHostOptions): Promise<InstallReport> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  await runInstallHost({ stdout, logger: silentLogger, env: {}, cwd: dir }, commandHost, options);
  return JSON.parse(text) as InstallReport;
}

/**
 * Logs in as the tunnel user with the tunnel's key, as the device does: whether sshd grants the
 * listener on `localhost:port` and on the next port, and the exit code of a command. Retries while
 * sshd restarts after a reload (it re-executes itself on SIGHUP).
 */
async function tunnelLogin(port: number, privateKey: string, remotePort: number): Promise<{ own: boolean; next: boolean; command: number }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await tryTunnelLogin(port, privateKey, remotePort);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function tryTunnelLogin(port: number, privateKey: string, remotePort: number): Promise<{ own: boolean; next: boolean; command: number }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const forward = (listen: number) => new Promise<boolean>((done) => client.forwardIn('localhost', listen, (error) => done(!error)));
    client.on('ready', async () => {
      const [own, next] = [await forward(remotePort), await forward(remotePort + 1)];
      client.exec('id', (error, stream) => {
        if (error) return reject(error);
        stream.on('data', () => undefined).stderr.on('data', () => undefined);
        stream.on('close', (code: number | null) => { client.end(); resolve({ own, next, command: code ?? -1 }); });
      });
    });
    client.on('error', reject);
    client.connect({ host: '127.0.0.1', port, username: 'callhome', privateKey, readyTimeout: 20_000 });
  });
}

testAsRootWithTools(needs, 'install-host creates the tunnel user and installs its line and the sshd_config lines; the device\'s key then opens its one listener and nothing else', async (t) => {
  const stand = await standUp(t);
  const report = await stand.install();
  t.like(report, { user: { name: 'callhome', home: '/home/callhome', created: true }, authorizedKeys: { path: '/home/callhome/.ssh/authorized_keys', added: true, removed: [] }, sshdConfig: { written: true }, reloaded: true, warnings: [] });
  t.deepEqual(await stand.root.systemctlCalls(), ['reload ssh']);
  t.regex(await readFile(join(stand.root.etc, 'passwd'), 'utf8'), /^callhome:x:\d+:\d+:McDebian callhome tunnels:\/home\/callhome:\/usr\/sbin\/nologin$/m);
  const keys = join(stand.root.home, 'callhome', '.ssh', 'authorized_keys');
  const blob = (await readFile(join(stand.dir, 'secrets', 'gw', 'callhome-tunnel-key.pub'), 'utf8')).split(' ')[1];
  t.is(await readFile(keys, 'utf8'), `restrict,port-forwarding,permitlisten="localhost:${stand.remotePort}",command="/bin/false" ssh-ed25519 ${blob} mcdebian-callhome@gw1\n`);
  t.is((await stat(keys)).mode & 0o777, 0o600);
  t.is((await stat(join(stand.root.home, 'callhome', '.ssh'))).mode & 0o777, 0o700);
  t.regex(await readFile(join(stand.root.etc, SNIPPET), 'utf8'), /^Match User callhome\n {4}ClientAliveInterval 3\n/m);
  t.deepEqual(await tunnelLogin(stand.port, await stand.tunnelKey(), stand.remotePort), { own: true, next: false, command: 1 });
});

testAsRootWithTools(needs, 'install-host run again changes nothing and does not reload ssh', async (t) => {
  const stand = await standUp(t);
  await stand.install();
  const keys = await readFile(join(stand.root.home, 'callhome', '.ssh', 'authorized_keys'), 'utf8');
  const again = await stand.install();
  t.like(again, { user: { created: false }, authorizedKeys: { added: false, removed: [] }, sshdConfig: { written: false }, reloaded: false, warnings: [] });
  t.deepEqual(await stand.root.systemctlCalls(), ['reload ssh']);
  t.is(await readFile(join(stand.root.home, 'callhome', '.ssh', 'authorized_keys'), 'utf8'), keys);
});

testAsRootWithTools(needs, 'install-host lists what the host has that differs and changes nothing without --force; with it, replaces them', async (t) => {
  const stand = await standUp(t);
  await stand.install();
  const keys = join(stand.root.home, 'callhome', '.ssh', 'authorized_keys');
  const stranger = `restrict,port-forwarding,permitlisten="localhost:${stand.remotePort}" ${(await readFile(join(stand.dir, 'admin.pub'), 'utf8')).trim()}\n`;
  await appendFile(keys, stranger);
  const other = (await readFile(join(stand.root.etc, SNIPPET), 'utf8')).replace('ClientAliveInterval 3', 'ClientAliveInterval 30');
  await writeFile(join(stand.root.etc, SNIPPET), other);
  const [keysBefore, calls] = [await readFile(keys, 'utf8'), await stand.root.systemctlCalls()];
  const error = await t.throwsAsync(stand.install(), { instanceOf: UserError });
  t.regex(error?.message ?? '', /127\.0\.0\.1 has callhome settings that differ from what the build wrote:\n {2}\/home\/callhome\/\.ssh\/authorized_keys: restrict,port-forwarding,permitlisten="localhost:\d+" ssh-ed25519 AAAAC3NzaC1l…[\w+/]+=* admin\n {2}\/etc\/ssh\/sshd_config\.d\/mcdebian-callhome-callhome\.conf: has "ClientAliveInterval 30" where the build has "ClientAliveInterval 3"/);
  t.regex(error?.hint ?? '', /--force replaces them/);
  t.is(await readFile(keys, 'utf8'), keysBefore);
  t.is(await readFile(join(stand.root.etc, SNIPPET), 'utf8'), other);
  const forced = await stand.install({ force: true });
  t.deepEqual(forced.authorizedKeys.removed, [stranger.trimEnd()]);
  t.like(forced, { sshdConfig: { written: true }, reloaded: true });
  t.false((await readFile(keys, 'utf8')).includes('admin'));
  t.regex(await readFile(join(stand.root.etc, SNIPPET), 'utf8'), /ClientAliveInterval 3\n/);
  t.deepEqual(await stand.root.systemctlCalls(), [...calls, 'reload ssh']);
});

testAsRootWithTools(needs, 'install-host takes back sshd_config lines when sshd -t refuses the configuration, and does not reload', async (t) => {
  const stand = await standUp(t);
  await appendFile(join(stand.root.etc, 'ssh', 'sshd_config'), 'NoSuchOption yes\n');
  const error = await t.throwsAsync(stand.install(), { instanceOf: UserError });
  t.regex(error?.message ?? '', /sshd -t refuses root@127\.0\.0\.1's sshd configuration with \/etc\/ssh\/sshd_config\.d\/mcdebian-callhome-callhome\.conf; it was put back as it was and ssh was not reloaded:\n.*NoSuchOption/);
  await t.throwsAsync(stat(join(stand.root.etc, SNIPPET)), { code: 'ENOENT' });
  t.deepEqual(await stand.root.systemctlCalls(), []);
});

testAsRootWithTools(needs, 'install-host refuses a host whose key is not the one the config pins', async (t) => {
  const stand = await standUp(t, { pinOtherKey: true });
  const error = await t.throwsAsync(stand.install(), { instanceOf: UserError });
  t.regex(error?.message ?? '', /127\.0\.0\.1:\d+ presented host key SHA256:[\w+/]+, which is not a key that hostKey \(other_host_key\.pub\) pins/);
  t.regex(error?.hint ?? '', /the tunnel would refuse this host too/);
  t.deepEqual(await stand.root.systemctlCalls(), []);
});

testAsRootWithTools(needs, 'mcdebian callhome install-host --dry-run reads the host and says what would change, changing nothing', async (t) => {
  const stand = await standUp(t);
  const result = await execa(process.execPath, [CLI, 'callhome', 'install-host', '--host', '127.0.0.1', '-c', 'gw.yaml', '--identity', join(stand.dir, 'admin'), '--dry-run'], { cwd: stand.dir, reject: false });
  t.is(result.exitCode, 0, String(result.stderr));
  t.regex(String(result.stdout), /^127\.0\.0\.1:\d+ \(host key SHA256:[\w+/]+\), logged in as root; dry run, nothing changed\n {2}user callhome: would be created\n {2}~callhome\/\.ssh\/authorized_keys: would be given the tunnel's line\n {2}\/etc\/ssh\/sshd_config\.d\/mcdebian-callhome-callhome\.conf: would be written, checked and ssh reloaded$/);
  t.false((await readFile(join(stand.root.etc, 'passwd'), 'utf8')).includes('callhome'));
  await t.throwsAsync(stat(join(stand.root.etc, SNIPPET)), { code: 'ENOENT' });
  t.deepEqual(await stand.root.systemctlCalls(), []);
});

testAsRootWithTools(needs, 'after rotate-key, install-host adds the new key beside the old one; --force then removes the old key\'s line', async (t) => {
  const stand = await standUp(t);
  await stand.install();
  const oldKey = await stand.tunnelKey();
  await runRotateKey({ stdout: new PassThrough(), logger: silentLogger, env: {}, cwd: stand.dir }, commandHost, { file: 'gw.yaml', json: false });
  const rotated = await stand.install();
  t.like(rotated, { authorizedKeys: { added: true, removed: [] }, sshdConfig: { written: false }, reloaded: false });
  t.is(rotated.authorizedKeys.kept.length, 1);
  t.like(await tunnelLogin(stand.port, oldKey, stand.remotePort), { own: true }, 'the device still on the old image calls home');
  t.like(await tunnelLogin(stand.port, await stand.tunnelKey(), stand.remotePort), { own: true }, 'and so does the new image');
  const done = await stand.install({ force: true });
  t.deepEqual(done.authorizedKeys.removed, rotated.authorizedKeys.kept);
  await t.throwsAsync(tryTunnelLogin(stand.port, oldKey, stand.remotePort), { message: /authentication methods failed/ });
});
