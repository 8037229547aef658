/**
 * The login of flash/device-session.ts against an SSH server on the loopback that lets in only
 * the keys it is given: which keys are offered (the config's, the agent's, OpenSSH's default
 * identities), and what is said when none is let in. Keys are made with the real ssh-keygen;
 * the agent is a real ssh-agent.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../build/core/errors.js';
import { DeviceSession, SshAuthenticationError, type DeviceAddress } from '../../flash/device-session.js';
import { startFakeSshServer, type FakeSshServer } from '../helpers/fake-ssh-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A key pair made by ssh-keygen at `path` (and path.pub); returns the public line. */
async function makeKey(path: string, options: { type?: 'ed25519' | 'ecdsa' | 'rsa'; passphrase?: string } = {}): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await execa('ssh-keygen', ['-q', '-t', options.type ?? 'ed25519', '-N', options.passphrase ?? '', '-C', path, '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

/** The public line as the server records it: "type base64". */
const offeredForm = (publicLine: string) => publicLine.split(' ').slice(0, 2).join(' ');

async function serve(t: ExecutionContext, dir: string, authorizedKeys: string[]): Promise<{ server: FakeSshServer; address: DeviceAddress }> {
  const server = await startFakeSshServer({ authorizedKeys, exec: { code: 0, stdout: 'hello from the fake device\n' } });
  t.teardown(() => server.close());
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, server.knownHostsLine);
  return { server, address: { host: '127.0.0.1', port: server.port, user: 'root', knownHosts } };
}

/**
 * Runs `work` with HOME at `home` (where OpenSSH's default identities are looked for) and
 * SSH_AUTH_SOCK at `agent`, or unset: the places a login looks when nothing is passed.
 */
async function withHome<T>(home: string, work: () => Promise<T>, agent?: string): Promise<T> {
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  process.env.HOME = home;
  if (agent === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = agent;
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Connects, runs one command, and hangs up; returns what the command printed. */
async function loginAndRun(address: DeviceAddress): Promise<string> {
  const session = await DeviceSession.connect(address);
  try {
    return await session.run('echo hello', 'greeting');
  } finally {
    await session.end();
  }
}

// HOME is process-wide: the tests that move it run one at a time
test.serial('the private half of a key the config authorizes (keys/admin.pub -> keys/admin) logs in', async (t) => {
  const dir = await makeTempDir(t);
  const admin = await makeKey(join(dir, 'keys/admin'));
  const { address } = await serve(t, dir, [admin]);
  const output = await withHome(join(dir, 'home'), () => loginAndRun({ ...address, keyFiles: [{ path: join(dir, 'keys/admin'), label: 'keys/admin' }] }));
  t.is(output, 'hello from the fake device\n');
});

test.serial('every default identity OpenSSH tries is looked for: ~/.ssh/id_ecdsa logs in', async (t) => {
  const dir = await makeTempDir(t);
  const ecdsa = await makeKey(join(dir, 'home/.ssh/id_ecdsa'), { type: 'ecdsa' });
  const { address } = await serve(t, dir, [ecdsa]);
  t.is(await withHome(join(dir, 'home'), () => loginAndRun(address)), 'hello from the fake device\n');
});

test.serial('an ssh-agent that does not answer is passed over, and the key files are still tried', async (t) => {
  const dir = await makeTempDir(t);
  const ed25519 = await makeKey(join(dir, 'home/.ssh/id_ed25519'));
  const { address } = await serve(t, dir, [ed25519]);
  const output = await withHome(join(dir, 'home'), () => loginAndRun(address), join(dir, 'no-agent.sock'));
  t.is(output, 'hello from the fake device\n');
});

test.serial('keys are offered in turn, each once: the config\'s first, then the agent\'s, then OpenSSH\'s defaults', async (t) => {
  const dir = await makeTempDir(t);
  const home = join(dir, 'home');
  const config = await makeKey(join(dir, 'keys/admin'));
  const inAgent = await makeKey(join(dir, 'agent-key'));
  const rsa = await makeKey(join(home, '.ssh/id_rsa'), { type: 'rsa' });
  const socket = join(dir, 'agent.sock');
  const agent = execa('ssh-agent', ['-D', '-a', socket], { reject: false });
  t.teardown(() => { agent.kill(); });
  // the agent holds its own key and the config's (which is offered once, as the config's)
  await waitForAgent(socket);
  await execa('ssh-add', [join(dir, 'agent-key'), join(dir, 'keys/admin')], { env: { SSH_AUTH_SOCK: socket } });
  const { server, address } = await serve(t, dir, [rsa]);
  const output = await withHome(home, () => loginAndRun({ ...address, keyFiles: [{ path: join(dir, 'keys/admin'), label: 'keys/admin' }] }), socket);
  t.is(output, 'hello from the fake device\n');
  t.deepEqual(server.offered, [config, inAgent, rsa].map(offeredForm));
});

test.serial('when no key is let in, the error names each key refused and each one passed over, and why', async (t) => {
  const dir = await makeTempDir(t);
  const home = join(dir, 'home');
  await makeKey(join(dir, 'keys/admin'));
  await makeKey(join(home, '.ssh/id_ed25519'));
  await makeKey(join(home, '.ssh/id_rsa'), { type: 'rsa', passphrase: 'secret words' });
  const stranger = await makeKey(join(dir, 'stranger'));
  const { address } = await serve(t, dir, [stranger]);
  const error = await withHome(home, () => t.throwsAsync(loginAndRun({ ...address, keyFiles: [{ path: join(dir, 'keys/admin'), label: 'keys/admin (users[].authorizedKeys)' }] })));
  t.true(error instanceof SshAuthenticationError, String(error));
  const message = error?.message ?? '';
  t.regex(message, /^root@127\.0\.0\.1:\d+ let in none of the keys offered:/);
  t.regex(message, /refused: keys\/admin \(users\[\]\.authorizedKeys\)\n\s+- refused: ~\/\.ssh\/id_ed25519\n/);
  t.regex(message, /not tried: ~\/\.ssh\/id_rsa: encrypted with a passphrase \(load it into the agent: ssh-add \S+id_rsa\)/);
  t.regex(message, /not tried: the ssh-agent: SSH_AUTH_SOCK is not set/);
  t.regex(message, /not tried: ~\/\.ssh\/id_ecdsa, ~\/\.ssh\/id_ecdsa_sk, .*~\/\.ssh\/id_dsa: do not exist/);
  t.regex((error as UserError).hint ?? '', /--identity FILE, or load it into the ssh-agent/);
});

test.serial('with no key anywhere, the error says where it looked, before connecting', async (t) => {
  const dir = await makeTempDir(t);
  const { server, address } = await serve(t, dir, []);
  const error = await withHome(join(dir, 'home'), () => t.throwsAsync(loginAndRun({ ...address, keyFiles: [{ path: join(dir, 'keys/admin'), label: 'keys/admin' }] }), { instanceOf: UserError }));
  t.regex(error?.message ?? '', /^no SSH key to log in to root@127\.0\.0\.1 with; looked at:\n\s+- the ssh-agent: SSH_AUTH_SOCK is not set\n\s+- keys\/admin, ~\/\.ssh\/id_rsa, .*: do not exist/);
  t.regex((error as UserError).hint ?? '', /pass --identity FILE/);
  t.deepEqual(server.offered, []);
});

test.serial('--identity offers that key alone', async (t) => {
  const dir = await makeTempDir(t);
  const home = join(dir, 'home');
  const given = await makeKey(join(dir, 'given'));
  const fallback = await makeKey(join(home, '.ssh/id_ed25519'));
  const { server, address } = await serve(t, dir, [fallback]);
  await withHome(home, () => t.throwsAsync(loginAndRun({ ...address, identity: join(dir, 'given') }), { instanceOf: SshAuthenticationError }));
  t.deepEqual(server.offered, [offeredForm(given)]);
});

/** ssh-agent -D creates its socket once it listens. */
async function waitForAgent(socket: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const result = await execa('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket }, reject: false });
    if (result.exitCode === 0 || result.exitCode === 1) return; // 1: no identities yet, but it answers
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`ssh-agent did not listen at ${socket}`);
}

test('a device with several host keys, of which known_hosts has only the RSA one, is asked for that one, as OpenSSH does', async (t) => {
  const dir = await makeTempDir(t);
  const key = await makeKey(join(dir, 'id_ed25519'));
  const server = await startFakeSshServer({ authorizedKeys: [key], exec: { code: 0, stdout: 'hello from the fake device\n' }, moreHostKeys: ['ecdsa', 'rsa'] });
  t.teardown(() => server.close());
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, server.knownHostsLines.rsa!);
  const address: DeviceAddress = { host: '127.0.0.1', port: server.port, user: 'root', knownHosts, identity: join(dir, 'id_ed25519') };
  t.is(await withHome(dir, () => loginAndRun(address)), 'hello from the fake device\n');
  await writeFile(knownHosts, server.knownHostsLines.ecdsa!);
  t.is(await withHome(dir, () => loginAndRun(address)), 'hello from the fake device\n');
});
