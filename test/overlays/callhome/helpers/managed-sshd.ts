/**
 * A managed host for the callhome tests: a real sshd on the host's loopback, configured with the
 * files the build wrote for the managed host's side (the restricted authorized_keys line and the
 * sshd_config lines), reached from a QEMU guest as 10.0.2.2.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { sshExec } from '../../../helpers/ssh.js';

export interface ManagedHostOptions {
  dir: string;
  port: number;
  /** Private host key file. */
  hostKey: string;
  /** The authorized_keys content for the login user. */
  authorizedKeys: string;
  /** An sshd_config snippet to include last (its Match block must come after the globals); a glob is fine. */
  include: string;
  /** Also each user's ~/.ssh/authorized_keys, where install-host puts the tunnel's line. */
  homeKeys?: boolean;
  /** argv that runs sshd's argv after it: a mount namespace of the test's own (managed-host-root.ts). */
  launcher?: readonly string[];
}

export interface ManagedHost {
  /** Kills every per-connection sshd process: the tunnel's TCP connection is cut. */
  cutSessions(): Promise<number>;
  /** Stops (SIGSTOP) every per-connection sshd process: the tunnel goes silent. Returns their pids. */
  freezeSessions(): Promise<number[]>;
  /** Stops sshd and its sessions. */
  stop(): Promise<void>;
  /** Starts sshd again (after stop), with another host key when given. */
  start(hostKey?: string): Promise<void>;
  log(): string;
}

const SSHD = '/usr/sbin/sshd';

/** Starts sshd in the foreground on 127.0.0.1:port. */
export async function startManagedHost(options: ManagedHostOptions): Promise<ManagedHost> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  const keysFile = join(options.dir, 'authorized_keys');
  await writeFile(keysFile, options.authorizedKeys, { mode: 0o600 });
  let output = '';
  let child: ResultPromise | undefined;
  const start = async (hostKey = options.hostKey) => {
    const config = join(options.dir, 'sshd_config');
    await writeFile(config, [
      `Port ${options.port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${options.homeKeys ? '.ssh/authorized_keys ' : ''}${keysFile}`,
      'StrictModes no', // the test directory lives under /tmp
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp', // as Debian's sshd_config offers it; flash's SSH connection opens it
      `Include ${options.include}`,
      '',
    ].join('\n'));
    const [command = SSHD, ...args] = [...options.launcher ?? [], SSHD, '-D', '-e', '-f', config];
    child = execa(command, args, { reject: false, buffer: false, stdin: 'ignore', all: true });
    child.all?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await waitForBanner(options.port);
  };
  await start();
  const descendants = async (pid: number): Promise<number[]> => {
    const children: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry), ...(await descendants(Number(entry))));
    }
    return children;
  };
  const kill = (pids: number[]) => pids.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
  return {
    async cutSessions() {
      const pids = child?.pid === undefined ? [] : await descendants(child.pid);
      kill(pids);
      return pids.length;
    },
    async freezeSessions() {
      const pids = child?.pid === undefined ? [] : await descendants(child.pid);
      pids.forEach((pid) => { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } });
      return pids;
    },
    async stop() {
      if (child?.pid === undefined) return;
      const pids = await descendants(child.pid);
      child.kill('SIGKILL');
      kill(pids);
      await child;
      child = undefined;
    },
    start,
    log: () => output,
  };
}

/** Waits until something on 127.0.0.1:port answers with an SSH banner. */
async function waitForBanner(port: number): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const banner = await execa('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; head -c 4 <&3`], { reject: false, timeout: 2000 });
    if (String(banner.stdout) === 'SSH-') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sshd did not answer on 127.0.0.1:${port} within 60 s`);
}

/** Polls `sshExec(... 'hostname')` until it answers; returns the seconds it took. */
export async function waitForLogin(port: number, privateKey: string, options: { minutes: number; what: string }): Promise<number> {
  const started = Date.now();
  const deadline = started + options.minutes * 60_000;
  let last: Error | undefined;
  while (Date.now() < deadline) {
    const result = await sshExec(port, privateKey, 'hostname', 10_000).catch((error: Error) => { last = error; return undefined; });
    if (result?.code === 0) return (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${options.what}: no login through 127.0.0.1:${port} within ${options.minutes} minutes (last error: ${last?.message})`);
}
