/**
 * Builds and boots real images for the integration and boot tests: a config with a fresh SSH
 * key, the CLI run as a user runs it, and an SSH session (the ssh2 library) into the booted
 * guest through QEMU's forwarded loopback port.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { CLI } from './cli.js';
import { sshExec } from './ssh.js';

/**
 * The stage cache the image tests share. A fresh one per run (CI starts cold); set
 * MCDEBIAN_TEST_CACHE to keep bases between local runs.
 */
export async function testCacheDir(): Promise<string> {
  if (process.env.MCDEBIAN_TEST_CACHE) return process.env.MCDEBIAN_TEST_CACHE;
  return mkdtemp(join(tmpdir(), 'mcdebian-cache-'));
}

/** Removes a workspace and, unless it is the kept MCDEBIAN_TEST_CACHE, its cache: images are gigabytes. */
export async function removeWorkspace(workspace: Workspace | undefined): Promise<void> {
  if (!workspace) return;
  await rm(workspace.dir, { recursive: true, force: true });
  const cache = workspace.env.XDG_CACHE_HOME;
  if (cache && cache !== process.env.MCDEBIAN_TEST_CACHE) await rm(cache, { recursive: true, force: true });
}

export interface Workspace {
  dir: string;
  privateKey: string;
  env: Record<string, string>;
}

/**
 * A directory with an SSH key pair from ssh-keygen, and the environment the CLI runs in. (ssh2's
 * own generateKeyPairSync drops a leading zero byte of an ed25519 public key, about one key in
 * 256, and sshd then refuses it.)
 */
export async function makeWorkspace(cache: string): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-image-'));
  await mkdir(join(dir, 'keys'));
  const key = join(dir, 'keys', 'test');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mcdebian-test', '-f', key], { stdin: 'ignore' });
  return { dir, privateKey: await readFile(key, 'utf8'), env: { XDG_CACHE_HOME: cache, CI: process.env.CI ?? '' } };
}

/**
 * mcdebian.yaml for a board. buildWithUpdates is off: the mirror these tests run against has
 * served -updates/-security indexes that disagree with their Release file for armhf.
 */
export async function writeConfig(workspace: Workspace, name: string, lines: string[]): Promise<string> {
  const file = join(workspace.dir, `${name}.yaml`);
  await writeFile(file, [...lines, 'buildWithUpdates: false', 'users:', '  - name: root', '    authorizedKeys: [keys/test.pub]', ''].join('\n'));
  return file;
}

export async function runCliIn(workspace: Workspace, args: string[], timeoutMinutes = 30) {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd: workspace.dir, env: workspace.env, reject: false, stdin: 'ignore', timeout: timeoutMinutes * 60_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A TCP port on loopback that nothing listens on right now. */
/** Ports this process has handed out: a port freePort closed is free again at once, so the kernel may give it twice. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: taken } = server.address() as { port: number };
        server.close(() => resolve(taken));
      });
      server.on('error', reject);
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export interface BootedGuest {
  run(command: string): Promise<{ code: number; stdout: string }>;
  /** Powers the guest off and waits for `mcdebian boot` to exit; returns its exit code. */
  powerOff(): Promise<number>;
  console(): string;
}

/** Starts `mcdebian boot` and waits until the configured key logs in over SSH. */
export async function bootGuest(workspace: Workspace, config: string, options: { minutes: number; forwards?: string[]; bootArgs?: string[] }): Promise<BootedGuest & { sshPort: number }> {
  const port = await freePort();
  let output = '';
  const forwards = (options.forwards ?? []).flatMap((forward) => ['--forward', forward]);
  const child: ResultPromise = execa(process.execPath, [CLI, 'boot', '-c', config, '--ssh-port', String(port), ...forwards, ...(options.bootArgs ?? [])], {
    cwd: workspace.dir, env: workspace.env, reject: false, stdin: 'ignore', all: true, buffer: false,
  });
  child.all?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  let exited = false;
  void child.then(() => { exited = true; });
  const deadline = Date.now() + options.minutes * 60_000;
  for (;;) {
    if (exited) throw new Error(`mcdebian boot exited before SSH answered:\n${output.slice(-3000)}`);
    const error = await sshExec(port, workspace.privateKey, 'true', 120_000).then(() => undefined, (reason: Error) => reason);
    if (!error) break;
    if (/authentication methods failed/.test(error.message)) {
      child.kill();
      throw new Error(`sshd refused the configured key: ${error.message}\n${output.slice(-2000)}`);
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`no SSH login within ${options.minutes} minutes; console:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  return {
    sshPort: port,
    run: (command) => sshExec(port, workspace.privateKey, command, 120_000),
    async powerOff() {
      await sshExec(port, workspace.privateKey, 'systemctl poweroff', 120_000).catch(() => undefined);
      const timer = setTimeout(() => child.kill(), 180_000);
      const result = await child;
      clearTimeout(timer);
      return result.exitCode ?? -1;
    },
    console: () => output,
  };
}
