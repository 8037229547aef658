/**
 * How install-host knows it reached the managed host: by default the host key must be one that
 * the config's hostKey pins (the key the tunnel itself will insist on), so a wrong --host or a
 * stale pin shows now, not when the device fails to call home. --known-hosts F checks it against
 * a known_hosts file instead, as ssh would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../build/core/errors.js';
import type { CommandHost, RemoteShell } from '../overlay.js';
import { parseHostKeys } from './keys.js';
import type { Tunnel } from './tunnel.js';

export interface TrustOptions {
  identity?: string;
  /** known_hosts to check the host key against instead of the config's hostKey. */
  knownHosts?: string;
  /** With --known-hosts: accept a host it does not list. */
  acceptNewHostKey: boolean;
}

/** Logs in as `login` on `host` at the tunnel's SSH port. */
export async function connectTrusted(host: CommandHost, tunnel: Tunnel, options: TrustOptions & { host: string; login: string }): Promise<RemoteShell> {
  const port = tunnel.config.port;
  const pinned = options.knownHosts === undefined ? await writePinnedKnownHosts(tunnel, options.host) : undefined;
  try {
    return await host.connect({
      host: options.host,
      port,
      user: options.login,
      identity: options.identity,
      knownHosts: pinned?.file ?? options.knownHosts,
      acceptNewHostKey: options.knownHosts !== undefined && options.acceptNewHostKey,
    });
  } catch (error) {
    throw explainFailure(error, { ...options, port, pinnedBy: pinned === undefined ? undefined : tunnel.hostKey.path });
  } finally {
    if (pinned) await rm(pinned.dir, { recursive: true, force: true });
  }
}

/** The config's pinned keys as a known_hosts file for `host` (ssh's [host]:port form off port 22). */
async function writePinnedKnownHosts(tunnel: Tunnel, host: string): Promise<{ dir: string; file: string }> {
  const port = tunnel.config.port;
  const name = port === 22 ? host : `[${host}]:${port}`;
  const lines = parseHostKeys(tunnel.hostKey.content ?? '').map((key) => `${name} ${key.type} ${key.base64}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-callhome-'));
  const file = join(dir, 'known_hosts');
  await writeFile(file, lines.join(''), { mode: 0o600 });
  return { dir, file };
}

function explainFailure(error: unknown, options: { host: string; login: string; port: number; pinnedBy?: string }): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UserError && options.pinnedBy !== undefined && message.includes('presented host key')) {
    return new UserError(`${message.split(', which')[0]}, which is not a key that hostKey (${options.pinnedBy}) pins`, {
      hint: `the tunnel would refuse this host too: check that --host names the managed host, or fix ${options.pinnedBy} (ssh-keyscan -p ${options.port} ${options.host}); --known-hosts F checks against a known_hosts file instead`,
      cause: error,
    });
  }
  if (error instanceof UserError) return error;
  // the connection code opens an SFTP channel with the session (ssh2-sftp-client)
  const hint = /subsystem/i.test(message)
    ? 'the managed host\'s sshd must offer SFTP, as Debian\'s does (Subsystem sftp /usr/lib/openssh/sftp-server in sshd_config)'
    : 'check --host, --user and --identity (or the ssh-agent); the port is overlays.callhome.port';
  return new UserError(`cannot log in to ${options.login}@${options.host}:${options.port}: ${message}`, { hint, cause: error });
}
