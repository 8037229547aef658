/**
 * One SSH connection to the device (ssh2-sftp-client over ssh2): commands with exit codes, and
 * uploads that resume. The host key is checked against known_hosts (ssh-keygen -F does the
 * lookup, hashed names included) or a key pinned earlier in the same flash, so the device that
 * comes back after the reboot is the one that was flashed. The login offers the keys
 * ssh-identities.ts finds, one after another, and names them all when none opens the door.
 */
import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { AuthenticationType, AnyAuthMethod } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { UserError } from '../build/core/errors.js';
import { describePassedOver, fingerprint, findIdentitiesFor, type FoundIdentities, type KeyFile } from './ssh-identities.js';
import { preferKnownHostKeys } from './host-key-algorithms.js';

export { fingerprint } from './ssh-identities.js';
export type { KeyFile } from './ssh-identities.js';

export interface DeviceAddress {
  host: string;
  port: number;
  user: string;
  /**
   * A private key file, the only one offered. Without it: `keyFiles`, then every key the
   * ssh-agent holds, then the identity files OpenSSH would try for the host (ssh -G).
   */
  identity?: string;
  /** Private keys to offer first (flash sftp: the private halves of the config's users[].authorizedKeys). */
  keyFiles?: readonly KeyFile[];
  /** The ssh-agent's socket; SSH_AUTH_SOCK by default, '' for none. */
  agentSocket?: string;
  /** known_hosts to check the host key against (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  /** Accept a host key known_hosts does not have (it is pinned for the rest of the flash). */
  acceptNewHostKey?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the device presented; pinned after the first connection. */
export interface HostKeyPin {
  base64: string;
  fingerprint: string;
}

/** The device let no key in: SSH answers, but refuses every key offered. */
export class SshAuthenticationError extends UserError {
  override name = 'SshAuthenticationError';
}

/** The host's keys in known_hosts, as base64 blobs ([host]:port when the port is not 22). */
async function knownHostKeys(address: DeviceAddress): Promise<string[]> {
  const file = address.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
  const name = address.port === 22 ? address.host : `[${address.host}]:${address.port}`;
  const result = await execa('ssh-keygen', ['-F', name, '-f', file], { reject: false, stdin: 'ignore' });
  return String(result.stdout).split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split(/\s+/)[2] ?? '');
}

async function findKeys(address: DeviceAddress): Promise<FoundIdentities> {
  const found = await findIdentitiesFor(address, {
    identity: address.identity, keyFiles: address.keyFiles, agentSocket: address.agentSocket ?? process.env.SSH_AUTH_SOCK, home: homedir(),
  });
  if (found.identities.length === 0) {
    throw new UserError(`no SSH key to log in to ${address.user}@${address.host} with; looked at:\n${describePassedOver(found.passedOver).map((line) => `  - ${line}`).join('\n')}`, {
      hint: 'pass --identity FILE, load a key into the ssh-agent (ssh-add), or put the private half of a key users[].authorizedKeys lists beside its .pub',
    });
  }
  return found;
}

/**
 * ssh2's authHandler offering each key in turn (each agent key on its own), recording what it
 * offered; `false` when every key has been refused, or the device takes no public keys.
 */
function offerInTurn(address: DeviceAddress, found: FoundIdentities, offered: string[]) {
  return (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (method: AnyAuthMethod) => void) => {
    const identity = found.identities[offered.length];
    // ssh2's README: "return/pass false to signal no more methods to try" (its types lack it)
    if (!identity || (methodsLeft !== null && !methodsLeft.includes('publickey'))) return next(false as unknown as AnyAuthMethod);
    offered.push(identity.label);
    next(identity.kind === 'agent'
      ? { type: 'agent', username: address.user, agent: identity.agent }
      : { type: 'publickey', username: address.user, key: identity.key });
  };
}

/** Why the login failed, naming every key offered and what was passed over. */
function refusedKeys(address: DeviceAddress, found: FoundIdentities, offered: string[], cause: unknown): SshAuthenticationError {
  const lines = [...offered.map((label) => `  - refused: ${label}`), ...describePassedOver(found.passedOver).map((line) => `  - not tried: ${line}`)];
  return new SshAuthenticationError(`${address.user}@${address.host}:${address.port} let in none of the keys offered:\n${lines.join('\n')}`, {
    hint: 'offer a key its authorized_keys holds (a McDebian image holds those its config\'s users[].authorizedKeys lists): '
      + `--identity FILE, or load it into the ssh-agent (ssh-add FILE)${offered.length >= 6 ? '; sshd gives up after MaxAuthTries (6) keys, so name the right one' : ''}`,
    cause,
  });
}

/**
 * ssh2 says "All configured authentication methods failed" (level client-authentication) when
 * the handler runs out of keys; sshd cuts the connection after MaxAuthTries refused keys
 * ("Too many authentication failures").
 */
function isAuthenticationFailure(error: unknown): boolean {
  const { level, message } = error as { level?: string; message?: string };
  return level === 'client-authentication' || /authentication methods failed|Too many authentication failures/i.test(message ?? '');
}

export class DeviceSession {
  private constructor(private readonly client: SftpClient, readonly hostKey: HostKeyPin) {}

  /** Connects; with `pin`, the device must present exactly that key. */
  static async connect(address: DeviceAddress, options: { pin?: HostKeyPin; timeoutMs?: number } = {}): Promise<DeviceSession> {
    const known = options.pin ? [options.pin.base64] : await knownHostKeys(address);
    let presented: Buffer | undefined;
    // the library's default listeners print "Global end listener: …" on stdout when the device
    // drops the connection (it does, rebooting), which would break --json; failures of the
    // calls themselves still reject their promises
    const quiet = () => undefined;
    const client = new SftpClient('mcdebian-flash', { error: quiet, end: quiet, close: quiet });
    const found = await findKeys(address);
    const offered: string[] = [];
    try {
      await client.connect({
        host: address.host,
        port: address.port,
        username: address.user,
        readyTimeout: options.timeoutMs ?? 20_000,
        authHandler: offerInTurn(address, found, offered),
        algorithms: preferKnownHostKeys(known),
        hostVerifier: (key: Buffer) => {
          presented = key;
          return known.includes(key.toString('base64')) || (!options.pin && known.length === 0 && address.acceptNewHostKey === true);
        },
      });
    } catch (error) {
      await client.end().catch(() => undefined);
      if (presented && !known.includes(presented.toString('base64'))) {
        const what = options.pin ? `is not the key it had before the flash (${options.pin.fingerprint})` : known.length > 0 ? 'does not match known_hosts' : 'is not in known_hosts';
        throw new UserError(`${address.host}:${address.port} presented host key ${fingerprint(presented)}, which ${what}`, {
          hint: options.pin ? 'another machine answers at that address' : `check it, then add it (ssh-keyscan -p ${address.port} ${address.host} >> ~/.ssh/known_hosts) or pass --accept-new-host-key`,
          cause: error,
        });
      }
      if (isAuthenticationFailure(error)) throw refusedKeys(address, found, offered, error);
      throw error;
    }
    return new DeviceSession(client, { base64: presented!.toString('base64'), fingerprint: fingerprint(presented!) });
  }

  /** Runs a shell command; never throws on a non-zero exit. */
  exec(command: string, stdin?: string): Promise<ExecResult> {
    // ssh2-sftp-client keeps the ssh2 Client it connected as `client`
    const ssh = (this.client as unknown as { client: import('ssh2').Client }).client;
    return new Promise((resolve, reject) => {
      ssh.exec(command, (error, stream) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        stream.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
        stream.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
        stream.on('close', (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
        stream.end(stdin);
      });
    });
  }

  /** Runs a command that must succeed; the error names it and shows its stderr. */
  async run(command: string, what: string, stdin?: string): Promise<string> {
    const result = await this.exec(command, stdin);
    if (result.code !== 0) {
      throw new UserError(`${what} failed on the device (exit ${result.code}): ${command}\n${(result.stderr || result.stdout).trim()}`);
    }
    return result.stdout;
  }

  /** Bytes of a remote file, 0 when it does not exist. */
  async remoteSize(path: string): Promise<number> {
    const stat = await this.client.stat(path).catch(() => undefined);
    return stat?.size ?? 0;
  }

  /** Uploads `local` from byte `from` on, appended to the remote file (which has exactly `from` bytes). */
  async upload(local: string, remote: string, options: { from: number; onBytes(sent: number): void }): Promise<void> {
    const source = createReadStream(local, { start: options.from });
    let sent = options.from;
    source.on('data', (chunk) => {
      sent += chunk.length;
      options.onBytes(sent);
    });
    await this.client.put(source, remote, { writeStreamOptions: { flags: options.from > 0 ? 'a' : 'w', mode: 0o600 } });
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
