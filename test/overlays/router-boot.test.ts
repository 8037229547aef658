/**
 * The router's services end to end in one booted qemu-armhf image (one build and one boot for
 * all of them: TCG is slow):
 * - callhome calls home to a real sshd on the host's loopback (10.0.2.2 from the guest),
 *   configured with the files the build wrote for the managed host; the host logs into the
 *   guest through the reverse port; the tunnel comes back after its connection is cut and after
 *   sshd restarts, and stays down for a host key that is not the pinned one.
 * - dns-blacklist answers through forwarded ports: blocked names and subdomains, names resolved
 *   by an upstream named on the host, API changes seen in DNS at once, bad logins and names
 *   refused, concurrent adds, the list kept across a restart of named, the blocked page.
 */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../build/manifest.js';
import { hashPassword } from '../../overlays/dns-blacklist/app/password.js';
import { bootGuest, freePort, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type BootedGuest, type Workspace } from '../helpers/guest.js';
import { startManagedHost, waitForLogin, type ManagedHost } from '../helpers/managed-sshd.js';
import { getWithHost, requestJson } from '../helpers/http.js';
import { digA, startUpstream, type RunningNamed } from '../helpers/named.js';
import { sshExec } from '../helpers/ssh.js';
import { hasProgram } from '../helpers/tools.js';

interface Context {
  workspace: Workspace;
  sshdPort: number;
  remotePort: number;
  ports: { upstream: number; dns: number; api: number; page: number };
}

/** What after.always must stop; ava gives each test a copy of the context, so not in it. */
const running: { host?: ManagedHost; guest?: BootedGuest; upstream?: RunningNamed } = {};

const test = anyTest as TestFn<Context>;
const TOOLS = ['mmdebstrap', 'qemu-system-arm', 'mkimage', 'sfdisk', 'qemu-img', 'mkfs.fat', 'sshd', 'ssh-keygen', 'named', 'dig'];
const missing = TOOLS.filter((tool) => !hasProgram(tool));
const serial = missing.length === 0 || process.env.CI === 'true' ? test.serial : test.serial.skip;
const needs = missing.length > 0 && process.env.CI !== 'true' ? ` [needs ${missing.join(', ')}]` : '';

/** QEMU user networking gives the guest this address. */
const GUEST = '10.0.2.15';
const PASSWORD = 'router test password';

test.before(async (t) => {
  const workspace = await makeWorkspace(await testCacheDir());
  const [sshdPort, remotePort, upstream, dns, api, page] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  t.context = { workspace, sshdPort: sshdPort!, remotePort: remotePort!, ports: { upstream: upstream!, dns: dns!, api: api!, page: page! } };
});

test.after.always(async (t) => {
  await running.guest?.powerOff().catch(() => undefined);
  await running.host?.stop().catch(() => undefined);
  await running.upstream?.stop().catch(() => undefined);
  await removeWorkspace(t.context.workspace);
});

const out = (t: { context: Context }, ...path: string[]) => join(t.context.workspace.dir, 'out', 'qemu-armhf', ...path);

serial(`a router image with callhome and dns-blacklist: pinned host key, secrets at 0600 and listed by path, BIND checked in the image${needs}`, async (t) => {
  t.timeout(40 * 60_000);
  const { workspace, sshdPort, remotePort, ports } = t.context;
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'managed-host', '-f', join(workspace.dir, 'keys', 'managed_host_key')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'impostor', '-f', join(workspace.dir, 'keys', 'impostor_host_key')]);
  await writeFile(join(workspace.dir, 'keys', 'api-password-hash'), `${await hashPassword(PASSWORD)}\n`, { mode: 0o600 });
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
    '  dns-blacklist:',
    `    sink: ${GUEST}`,
    `    forwarders: ["10.0.2.2:${ports.upstream}"]`, // the host's stand-in for the internet
    '    dnssecValidation: "no"',
    '    seed: [bad.example]',
    '    api: { passwordHash: keys/api-password-hash }',
  ]);
  const result = await runCliIn(workspace, ['build', '-c', config]);
  t.is(result.exitCode, 0, result.stderr.slice(-3000));
  t.regex(result.stderr, /generated .*secrets\/branch7\/callhome-tunnel-key for overlays\.callhome\.privateKey/);
  const tunnelPub = await readFile(join(workspace.dir, 'secrets', 'branch7', 'callhome-tunnel-key.pub'), 'utf8');
  const [type, blob] = tunnelPub.split(' ');
  t.is(await readFile(out(t, 'callhome', 'authorized_keys'), 'utf8'),
    `restrict,port-forwarding,permitlisten="localhost:${remotePort}",command="/bin/false" ${type} ${blob} mcdebian-callhome@branch7\n`);
  const manifest = JSON.parse(await readFile(out(t, 'manifest.json'), 'utf8')) as Manifest;
  t.deepEqual(manifest.secrets, [
    { overlay: 'callhome', field: 'privateKey', source: join(workspace.dir, 'secrets', 'branch7', 'callhome-tunnel-key'), path: '/etc/mcdebian/secrets/callhome/tunnel-key', mode: '0600' },
    { overlay: 'dns-blacklist', field: 'api.passwordHash', source: join(workspace.dir, 'keys', 'api-password-hash'), path: '/etc/mcdebian/secrets/dns-blacklist/password-hash', mode: '0600' },
  ]);
  const text = await readFile(out(t, 'manifest.json'), 'utf8');
  t.false(text.includes('PRIVATE KEY') || text.includes('scrypt$'), 'no secret content in the manifest');
  t.true(manifest.artifacts.some((artifact) => artifact.name === 'callhome/sshd_config'));
  t.true(manifest.packages.some((p) => p.name === 'bind9') && manifest.packages.some((p) => p.name === 'nodejs'));
  for (const secret of manifest.secrets) {
    const listing = String((await execa('tar', ['-tvf', out(t, 'rootfs.tar'), `.${secret.path}`])).stdout);
    t.regex(listing, /^-rw------- 0\/0 /, secret.path);
  }
  const log = await readFile(out(t, 'build.log'), 'utf8');
  for (const check of ['systemd-analyze verify --man=no /etc/systemd/system/mcdebian-callhome.service', 'systemd-analyze verify --man=no /etc/systemd/system/mcdebian-dns-blacklist.service', 'named-checkconf /etc/bind/named.conf', 'node --check /usr/lib/mcdebian/dns-blacklist/main.mjs']) {
    t.true(log.includes(`${check}\n# exit 0`), check);
  }
});

serial(`the booted image calls home, and the tunnel comes back after every cut; a changed host key keeps it down${needs}`, async (t) => {
  t.timeout(30 * 60_000);
  const { workspace, sshdPort, remotePort, ports } = t.context;
  running.upstream = await startUpstream(join(workspace.dir, 'upstream'), ports.upstream);
  const hostKey = join(workspace.dir, 'keys', 'managed_host_key');
  const host = await startManagedHost({
    dir: workspace.dir, port: sshdPort, hostKey,
    authorizedKeys: await readFile(out(t, 'callhome', 'authorized_keys'), 'utf8'),
    include: out(t, 'callhome', 'sshd_config'),
  });
  running.host = host;
  const guest = await bootGuest(workspace, join(workspace.dir, 'router.yaml'), {
    minutes: 15, forwards: [`udp:${ports.dns}:53`, `tcp:${ports.dns}:53`, `tcp:${ports.api}:8053`, `tcp:${ports.page}:80`],
  });
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
});

const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

const api = (t: { context: Context }, method: string, path: string, body?: unknown, authorization = basic) =>
  requestJson(t.context.ports.api, method, path, { headers: { authorization }, body: body === undefined ? undefined : JSON.stringify(body), attempts: 5 });

serial(`the booted image blocks through its forwarded DNS port, and the admin API changes answers at once${needs}`, async (t) => {
  t.timeout(15 * 60_000);
  const guest = running.guest;
  if (!guest) return t.fail('the guest did not boot (see the test before)');
  const answer = async (name: string) => (await digA(t.context.ports.dns, name)).answers;
  for (let i = 0; i < 60 && (await api(t, 'GET', '/health').catch(() => ({ status: 0 }))).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 2000));
  t.deepEqual(await answer('bad.example'), [GUEST]);
  t.deepEqual(await answer('deep.www.bad.example'), [GUEST]);
  t.deepEqual(await answer('good.example'), ['203.0.113.10'], 'other names resolve through the upstream');

  t.deepEqual((await api(t, 'GET', '/domains')).body.domains, ['bad.example']);
  t.is((await api(t, 'PUT', '/domains/good.example')).status, 200);
  t.deepEqual(await answer('good.example'), [GUEST]);
  t.is((await api(t, 'DELETE', '/domains/good.example')).status, 200);
  t.deepEqual(await answer('good.example'), ['203.0.113.10']);
  t.is((await api(t, 'POST', '/domains', { add: ['fine.example', 'evil.example"\nupdate add x 1 A 1.2.3.4'] })).status, 400);
  const names = Array.from({ length: 50 }, (_, i) => `c${i}.example`);
  const adds = await Promise.all(names.map((name) => api(t, 'PUT', `/domains/${name}`)));
  t.true(adds.every((result) => result.status === 200), adds.map((r) => r.status).join(' '));

  await guest.run('systemctl restart named');
  for (let i = 0; i < 60 && (await api(t, 'GET', '/health').catch(() => ({ status: 0 }))).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 2000));
  t.deepEqual((await api(t, 'GET', '/domains')).body.domains, ['bad.example', ...names].sort(), 'the list survives named\'s restart, the service restarted with it');
  t.deepEqual(await answer('c7.example'), [GUEST]);

  const page = await getWithHost(t.context.ports.page, 'bad.example');
  t.is(page.status, 403);
  t.regex(page.body, /bad\.example is blocked/);
  t.is((await api(t, 'GET', '/domains', undefined, 'Basic d3Jvbmc6d3Jvbmc=')).status, 401);

  const state = await guest.run('systemctl is-system-running; systemctl --failed --no-legend; stat -c "%a %U" /etc/mcdebian/secrets/dns-blacklist/password-hash; ps -o user= -C node');
  t.regex(state.stdout, /^running\n/, state.stdout);
  t.regex(state.stdout, /^600 root$/m);
  t.regex(state.stdout, /^dnsbl$/m, 'the admin service runs as its own user');
  running.guest = undefined;
  t.is(await guest.powerOff(), 0);
});
