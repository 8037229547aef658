/**
 * The commands install-host runs on the managed host over one SSH connection: as root, or through
 * `sudo -n` when the login user is not root (a password prompt cannot be answered over a
 * non-interactive session). Files are written to a temporary name beside the target and renamed
 * over it, so sshd never reads half a file; the temporary names do not end in .conf, so
 * sshd_config.d's `Include *.conf` never picks one up.
 */
import { UserError } from '../../build/core/errors.js';
import { quoteArgv } from '../../build/core/errors.js';
import type { RemoteShell } from '../overlay.js';

/** Debian's paths: the tools are in /usr/sbin, which a plain user's PATH may not hold. */
export const SSHD = '/usr/sbin/sshd';
const USERADD = '/usr/sbin/useradd';

const READ_FILE = 'if [ -f "$1" ]; then exec cat -- "$1"; fi; exit 3';
const WRITE_FILE = 'set -e; umask 077; t=$(mktemp "$1.mcdebian.XXXXXX"); trap \'rm -f "$t"\' EXIT; cat > "$t"; chown "$2" "$t"; chmod "$3" "$t"; mv -f "$t" "$1"; trap - EXIT';
const PRIVATE_DIR = 'set -e; mkdir -p "$1"; chown "$2" "$1"; chmod 700 "$1"';

export interface ManagedHost {
  /** The host and login, for messages. */
  readonly where: string;
  /** Runs argv (as root); never throws on a non-zero exit. */
  run(argv: readonly string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs argv, which must succeed; the error names the command and shows its output. */
  must(argv: readonly string[], what: string, stdin?: string): Promise<string>;
}

/** The host, checked to be root or able to sudo without a password. */
export async function openManagedHost(shell: RemoteShell, where: string): Promise<ManagedHost> {
  const uid = await shell.exec('id -u');
  const sudo = uid.stdout.trim() !== '0';
  if (sudo && (await shell.exec('sudo -n true')).code !== 0) {
    throw new UserError(`${where} is not root and cannot run sudo without a password`, {
      hint: 'log in as root (--user root), or let this user run sudo without a password (sudoers NOPASSWD)',
    });
  }
  const run = (argv: readonly string[], stdin?: string) => shell.exec(quoteArgv(sudo ? ['sudo', '-n', ...argv] : argv), stdin);
  return {
    where,
    run,
    async must(argv, what, stdin) {
      const result = await run(argv, stdin);
      if (result.code !== 0) throw new UserError(`${what} failed on ${where} (exit ${result.code}): ${quoteArgv(argv)}\n${(result.stderr || result.stdout).trim()}`);
      return result.stdout;
    },
  };
}

/** A user's home directory, undefined when there is no such user. */
export async function homeOf(host: ManagedHost, user: string): Promise<string | undefined> {
  const result = await host.run(['getent', 'passwd', user]);
  if (result.code === 2) return undefined; // getent(1): key not found
  if (result.code !== 0) throw new UserError(`cannot look up user ${user} on ${host.where} (getent exit ${result.code})`);
  return result.stdout.trim().split(':')[5];
}

/** A tunnel user that cannot log in with a password or a shell: `*` is no password (not a locked `!` account, which sshd refuses without PAM). */
export async function createTunnelUser(host: ManagedHost, user: string): Promise<void> {
  await host.must([USERADD, '--system', '--create-home', '--shell', '/usr/sbin/nologin', '--password', '*', '--comment', 'McDebian callhome tunnels', user], `creating user ${user}`);
}

/** A file's content, undefined when it does not exist. */
export async function readRemoteFile(host: ManagedHost, path: string): Promise<string | undefined> {
  const result = await host.run(['sh', '-c', READ_FILE, 'sh', path]);
  if (result.code === 3) return undefined;
  if (result.code !== 0) throw new UserError(`cannot read ${path} on ${host.where}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Writes a file whole: `owner` as chown takes it (`user:` for the user's login group). */
export async function writeRemoteFile(host: ManagedHost, path: string, file: { content: string; owner: string; mode: string }): Promise<void> {
  await host.must(['sh', '-c', WRITE_FILE, 'sh', path, file.owner, file.mode], `writing ${path}`, file.content);
}

/** Makes a directory only `owner` may enter (~/.ssh). */
export async function makePrivateDir(host: ManagedHost, path: string, owner: string): Promise<void> {
  await host.must(['sh', '-c', PRIVATE_DIR, 'sh', path, owner], `making ${path}`);
}
