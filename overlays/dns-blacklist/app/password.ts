/**
 * The admin password's hash: scrypt (RFC 7914) from node:crypto, stored as one line
 * `scrypt$N$r$p$saltBase64$hashBase64`, e.g. `scrypt$32768$8$1$<22 chars>$<43 chars>`.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's cost parameters. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * N = 2^15, r = 8 takes 32 MiB and a fraction of a second on the router's ARM cores: a guess
 * costs that much, and verified passwords are cached by the caller, not re-hashed per request.
 */
export const DEFAULT_COST: ScryptCost = { N: 32_768, r: 8, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** A parsed hash line. */
interface StoredHash extends ScryptCost {
  salt: Buffer;
  hash: Buffer;
}

/** Runs scrypt with memory enough for its parameters (Node's default limit is 32 MiB). */
function derive(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r * cost.p + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Reads a hash line; undefined when it is not one. The bounds keep a damaged or hostile file from
 * asking for gigabytes of memory.
 */
function parseStoredHash(stored: string): StoredHash | undefined {
  const match = FORMAT.exec(stored.trim());
  if (!match) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N < 1024 || N > 1_048_576 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(match[4]!, 'base64');
  const hash = Buffer.from(match[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

/** Whether `stored` is a hash line this module can check. */
export const isPasswordHash = (stored: string) => parseStoredHash(stored) !== undefined;

/** The hash line for a password, with a fresh salt. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  if (password === '') throw new Error('the password is empty');
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, cost, HASH_BYTES);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `password` matches the hash line; false for a malformed line. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return false;
  const hash = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(hash, parsed.hash);
}
