/**
 * The tunnel's keys: the managed host's pinned public keys (a .pub file or ssh-keyscan output),
 * the tunnel's private key (its public half derived with ssh2's key parser), and a new key pair
 * from ssh-keygen when none is supplied. (ssh2's own key generator drops a leading zero byte of
 * about one ed25519 public key in 256, and sshd refuses such a key: ssh-keygen makes them.)
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { runCommand } from '../../build/core/exec.js';

/** A public key: its type and base64 blob. */
export interface PublicKey {
  type: string;
  base64: string;
}

/** OpenSSH's fingerprint of a public key, as ssh-keygen -l shows it. */
export function fingerprintOf(key: PublicKey): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

const KEY_TYPE = /^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521))$/;

/** Whether `type base64` is a well-formed public key (ssh2's parser checks the blob's own structure). */
function isPublicKey(type: string, base64: string): boolean {
  const parsed = ssh2.utils.parseKey(`${type} ${base64}`);
  return !(parsed instanceof Error) && !Array.isArray(parsed) && parsed.type === type;
}

/**
 * The keys in a host key file: lines `type base64 [comment]` (a host's .pub) or
 * `hosts type base64` (ssh-keyscan, known_hosts). Throws a message naming the bad line.
 */
export function parseHostKeys(text: string): PublicKey[] {
  const keys: PublicKey[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) throw new Error(`line ${index + 1}: ${line.split(' ')[0]} markers are not supported; give the host's own public key`);
    const words = line.split(/\s+/);
    const at = KEY_TYPE.test(words[0] ?? '') ? 0 : KEY_TYPE.test(words[1] ?? '') ? 1 : -1;
    if (at < 0) throw new Error(`line ${index + 1} is not an SSH public key (expected "ssh-ed25519 AAAA..." or ssh-keyscan output)`);
    const type = words[at]!;
    const base64 = words[at + 1] ?? '';
    if (!isPublicKey(type, base64)) throw new Error(`line ${index + 1}: the ${type} key's data is damaged or of another type`);
    keys.push({ type, base64 });
  }
  if (keys.length === 0) throw new Error('holds no public key; get one with ssh-keyscan -t ed25519 HOST or copy /etc/ssh/ssh_host_ed25519_key.pub from it');
  return keys;
}

/** The public half of an unencrypted OpenSSH/PEM private key. Throws a message saying what is wrong. */
export function publicKeyOf(privateKey: string): PublicKey {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    throw new Error(encrypted ? 'is protected by a passphrase; the tunnel starts unattended, so remove it: ssh-keygen -p -N "" -f FILE' : `is not an SSH private key (${parsed.message})`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) throw new Error('is a public key; name the private key file (without .pub)');
  return { type: key.type, base64: key.getPublicSSH().toString('base64') };
}

/** Makes an ed25519 key pair at `file` (and `file.pub`) in a directory only root can read. */
export async function generateKeyPair(file: string, comment: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await chmod(dirname(file), 0o700);
  await runCommand(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { debianPackage: 'openssh-client' });
}
