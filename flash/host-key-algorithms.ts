/**
 * The host key algorithms to ask a device for, those of the keys known_hosts has for it first.
 * OpenSSH orders HostKeyAlgorithms the same way (ssh_config(5): "the host key algorithms of the
 * keys already known for the destination host will be preferred"); without it ssh2 asks for
 * ed25519 first, and a known_hosts that holds only the device's RSA or ECDSA key (ssh-keyscan
 * timed out on the others, or an older scan) is reported as a mismatch although the device
 * has the key it always had.
 */
import type { Algorithms, ServerHostKeyAlgorithm } from 'ssh2';

/** What each key type may sign host authentication with, most preferred first (RFC 8332 for RSA). */
const ALGORITHMS_OF: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** The key type a public key blob names in its first field (RFC 4253, 6.6), if it is readable. */
export function keyTypeOf(base64: string): string | undefined {
  const blob = Buffer.from(base64, 'base64');
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/**
 * ssh2's algorithms option: its default host key list with the known keys' algorithms moved to
 * the front, in the order the keys were given (ssh2 applies remove, then prepend, in key order:
 * prepend alone skips what the list has already); undefined when none is usable.
 */
export function preferKnownHostKeys(knownKeys: readonly string[]): Algorithms | undefined {
  const preferred = [...new Set(knownKeys.flatMap((key) => ALGORITHMS_OF[keyTypeOf(key) ?? ''] ?? []))];
  return preferred.length === 0 ? undefined : { serverHostKey: { remove: preferred, prepend: preferred, append: [] } };
}
