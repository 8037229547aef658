/**
 * callhome end to end: a qemu-armhf image built with the overlay calls home to a real sshd on the
 * host's loopback (10.0.2.2 from the guest), configured with the files the build wrote for the
 * managed host. The host then logs into the guest through the reverse port; the tunnel comes
 * back after its connection is cut and after sshd restarts, and stays down for a host key that
 * is not the pinned one.
 */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../../build/manifest.js';
import { bootGuest, freePort, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type BootedGuest, type Workspace } from '../../helpers/guest.js';
import { startManagedHost, waitForLogin, type ManagedHost } from '../../helpers/managed-sshd.js';
import { sshExec } from '../../helpers/ssh.js';
import { hasProgram } from '../../helpers/tools.js';

interface Context {
  workspace: Workspace;
  sshdPort: number;
  remotePort: number;
}

/** What after.always must stop; ava gives each test a copy of the context, so not in it. */
const running: { host?: ManagedHost; guest?: BootedGuest } = {};

const test = anyTest as TestFn<Context>;
const TOOLS = ['mmdebstrap', 'qemu-system-arm', 'mkimage', 'sfdisk', 'qemu-img', 'mkfs.fat', 'sshd', 'ssh-keygen'];
const missing = TOOLS.filter((tool) => !hasProgram(tool));
const serial = missing.length === 0 || process.env.CI === 'true' ? test.serial : test.serial.skip;
const needs = missing.length > 0 && process.env.CI !== 'true' ? ` [needs ${missing.join(', ')}]` : '';

test.before(async (t) => {
  const workspace = await makeWorkspace(await testCacheDir());
  t.context = { workspace, sshdPort: await freePort(), remotePort: await freePort() };
});

test.after.always(async (t) => {
  await running.guest?.powerOff().catch(() => undefined);
  await running.host?.stop().catch(() => undefined);
  await removeWorkspace(t.context.workspace);
});

const out = (t: { context: Context }, ...path: string[]) => join(t.context.workspace.dir, 'out', 'qemu-armhf', ...path);

serial(`a build with callhome pins the host key, keeps the tunnel key secret and writes the managed host's side${needs}`, async (t) => {
  t.timeout(40 * 60_000);
  const { workspace, sshdPort, remotePort } = t.context;
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'managed-host', '-f', join(workspace.dir, 'keys', 'managed_host_key')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'impostor', '-f', join(workspace.dir, 'keys', 'impostor_host_key')]);
  const config = await writeConfig(workspace, 'router', [
    'board: qemu-armhf',
    'hostname: branch7',
    'overlays:',
    '  callhome:',
    '    host: 10.0.2.2', // QEMU user networking: the host's loopback
    `    port: ${sshdPort}`,
    '    user: root',
    '    hostKey: keys/managed_host_key.pub',
    `    remotePort: ${remotePort}`,
  ]);
  const result = await runCliIn(workspace, ['build', '-c', config]);
  t.is(result.exitCode, 0, result.stderr.slice(-3000));
  t.regex(result.stderr, /generated .*secrets\/branch7\/callhome-tunnel-key for overlays\.callhome\.privateKey/);
  const tunnelPub = await readFile(join(workspace.dir, 'secrets', 'branch7', 'callhome-tunnel-key.pub'), 'utf8');
  const [type, blob] = tunnelPub.split(' ');
  t.is(await readFile(out(t, 'callhome', 'authorized_keys'), 'utf8'),
    `restrict,port-forwarding,permitlisten="localhost:${remotePort}",command="/bin/false" ${type} ${blob} mcdebian-callhome@branch7\n`);
  const manifest = JSON.parse(await readFile(out(t, 'manifest.json'), 'utf8')) as Manifest;
  t.deepEqual(manifest.secrets, [{
    overlay: 'callhome', field: 'privateKey', source: join(workspace.dir, 'secrets', 'branch7', 'callhome-tunnel-key'),
    path: '/etc/mcdebian/secrets/callhome/tunnel-key', mode: '0600',
  }]);
  t.false((await readFile(out(t, 'manifest.json'), 'utf8')).includes('PRIVATE KEY'));
  t.true(manifest.artifacts.some((artifact) => artifact.name === 'callhome/sshd_config'));
  const listing = String((await execa('tar', ['-tvf', out(t, 'rootfs.tar'), './etc/mcdebian/secrets/callhome/tunnel-key'])).stdout);
  t.regex(listing, /^-rw------- 0\/0 /);
  t.regex(await readFile(out(t, 'build.log'), 'utf8'), /chroot \S+ systemd-analyze verify --man=no \/etc\/systemd\/system\/mcdebian-callhome\.service\n# exit 0/);
});

serial(`the booted image calls home, and the tunnel comes back after every cut; a changed host key keeps it down${needs}`, async (t) => {
  t.timeout(30 * 60_000);
  const { workspace, sshdPort, remotePort } = t.context;
  const hostKey = join(workspace.dir, 'keys', 'managed_host_key');
  const host = await startManagedHost({
    dir: workspace.dir, port: sshdPort, hostKey,
    authorizedKeys: await readFile(out(t, 'callhome', 'authorized_keys'), 'utf8'),
    include: out(t, 'callhome', 'sshd_config'),
  });
  running.host = host;
  const guest = await bootGuest(workspace, join(workspace.dir, 'router.yaml'), { minutes: 15 });
  running.guest = guest;
  const key = workspace.privateKey;
  await waitForLogin(remotePort, key, { minutes: 5, what: 'first tunnel' }).catch((error: Error) => {
    throw new Error(`${error.message}\nsshd:\n${host.log().slice(-2000)}`);
  });
  t.is((await sshExec(remotePort, key, 'hostname')).stdout.trim(), 'branch7', 'the reverse port leads to the guest');

  const status = await guest.run('systemctl show -p ActiveState,NRestarts mcdebian-callhome; ps -o user= -C ssh; stat -c %a /etc/mcdebian/secrets/callhome/tunnel-key');
  t.regex(status.stdout, /ActiveState=active/);
  t.regex(status.stdout, /^callhome$/m, 'ssh runs as the dedicated user');
  t.regex(status.stdout, /^600$/m);

  // the tunnel key may open nothing but its one listener on the managed host
  const tunnelKey = await readFile(join(workspace.dir, 'secrets', 'branch7', 'callhome-tunnel-key'), 'utf8');
  const shell = await sshExec(sshdPort, tunnelKey, 'id');
  t.not(shell.code, 0);
  t.notRegex(shell.stdout, /uid=/);

  t.true(await host.cutSessions() > 0, 'the tunnel had a session to cut');
  await waitForLogin(remotePort, key, { minutes: 3, what: 'after its connection was cut' });
  await host.stop();
  await host.start();
  await waitForLogin(remotePort, key, { minutes: 3, what: 'after sshd restarted' });

  await host.stop();
  await host.start(join(workspace.dir, 'keys', 'impostor_host_key'));
  let refused = '';
  for (let i = 0; i < 60 && !/Host key verification failed|HOST IDENTIFICATION HAS CHANGED/.test(refused); i++) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    refused = (await guest.run('journalctl -u mcdebian-callhome --no-pager -n 40')).stdout;
  }
  t.regex(refused, /Host key verification failed|HOST IDENTIFICATION HAS CHANGED/);
  await t.throwsAsync(sshExec(remotePort, key, 'hostname', 5000), undefined, 'no tunnel to a host with another key');

  await host.stop();
  await host.start();
  await waitForLogin(remotePort, key, { minutes: 3, what: 'with the pinned key back' });
  const after = await guest.run('systemctl show -p ActiveState,NRestarts mcdebian-callhome');
  t.regex(after.stdout, /ActiveState=active/);
  t.regex(after.stdout, /NRestarts=[1-9]/, 'systemd restarted the tunnel and kept doing so');
  running.guest = undefined;
  t.is(await guest.powerOff(), 0);
});
