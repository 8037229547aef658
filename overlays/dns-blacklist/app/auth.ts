/**
 * HTTP Basic authentication (RFC 7617) against the scrypt hash, with failed attempts limited per
 * client address and the hashing bounded for the whole service. A password once verified is
 * remembered for a few minutes as an HMAC under a key that lives only in this process, so a
 * script making many requests costs one scrypt, not one per request (32 MiB and a fraction of a
 * second each on the router), and the admin's browser keeps working while others wait for or
 * are turned away from the hashing queue.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { BoundedQueue } from './bounded-queue.js';
import { verifyPassword } from './password.js';
import type { FailureLimiter } from '../../runtime/failure-limiter.js';

export interface AuthenticatorOptions {
  /** The user name required; any when undefined. */
  user: string | undefined;
  /** The hash line from password.ts. */
  passwordHash: string;
  limiter: FailureLimiter;
  /** Where every password check waits for its turn: the one bound on hashing in the service. */
  hashing: BoundedQueue;
  /** Checks a password against the hash line: password.ts's scrypt (tests count the calls). */
  verify?: (password: string, stored: string) => Promise<boolean>;
  /** How long a verified password is remembered, in ms. */
  rememberMs?: number;
  now?: () => number;
}

/** The outcome of one request's credentials. */
export type AuthOutcome =
  | { kind: 'ok'; user: string }
  | { kind: 'missing' }
  | { kind: 'wrong'; user: string }
  | { kind: 'limited'; retryAfter: number }
  /** Too many checks waiting already: nothing was checked. */
  | { kind: 'busy'; retryAfter: number }
  /** The client left before its check ran. */
  | { kind: 'abandoned' };

/** One request's credentials: its Authorization header, the client's address, and a signal that aborts when the client goes. */
export interface Credentials {
  authorization: string | undefined;
  client: string;
  signal?: AbortSignal;
}

/** Checks a request's credentials. */
export type Authenticator = (credentials: Credentials) => Promise<AuthOutcome>;

/**
 * Seconds a client turned away from a full hashing queue is asked to wait (Retry-After, RFC 9110
 * §10.2.3): about the time the router takes to work through the queue.
 */
export const BUSY_RETRY_AFTER = 2;

/**
 * Why a configured user name cannot log in with HTTP Basic; undefined when it can. The header
 * carries `user:password`, so "a user-id containing a colon character is invalid", and neither
 * part may hold control characters (RFC 7617, section 2).
 */
export function findBasicUserProblem(user: string): string | undefined {
  if (user.includes(':')) return 'contains ":", which HTTP Basic authentication cannot carry in a user name (RFC 7617, section 2)';
  const control = /\p{Cc}/u.exec(user);
  if (control) return `contains the control character U+${control[0].codePointAt(0)!.toString(16).padStart(4, '0')}, which HTTP Basic authentication does not allow (RFC 7617, section 2)`;
  return undefined;
}

/**
 * User names and passwords compare in Unicode Normalization Form C, the form RFC 7617 §2.1 asks
 * for with charset="UTF-8" (its PRECIS profiles, RFC 8265, apply NFC): "José" typed on one
 * keyboard and on another are the same name. password.ts hashes the password in NFC too.
 */
const nfc = (text: string) => text.normalize('NFC');

/** The user and password of a Basic Authorization header; undefined when it is not one. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The checker of one configured password. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { limiter, hashing, verify = verifyPassword, rememberMs = 5 * 60_000, now = Date.now } = options;
  const expectedUser = options.user === undefined ? undefined : nfc(options.user);
  const key = randomBytes(32);
  const remembered = new Map<string, number>();
  const fingerprint = (user: string, password: string) => createHmac('sha256', key).update(`${user}\0${password}`).digest('base64');

  /** Whether the password matches; busy or abandoned when the queue turned it away or its client left. */
  async function matches(user: string, password: string, signal: AbortSignal | undefined): Promise<boolean | 'busy' | 'abandoned'> {
    const print = fingerprint(user, password);
    // before the queue: a known password never waits behind strangers' guesses
    if ((remembered.get(print) ?? 0) > now()) return true;
    const verified = await hashing.run(() => verify(password, options.passwordHash), signal);
    if (verified.kind === 'full') return 'busy';
    if (verified.kind === 'abandoned') return 'abandoned';
    // the hash is checked even for a wrong user name, so timing does not tell user names apart
    const ok = verified.value && (expectedUser === undefined || user === expectedUser);
    if (ok) {
      if (remembered.size >= 16) remembered.clear();
      remembered.set(print, now() + rememberMs);
    }
    return ok;
  }

  async function check({ authorization, client, signal }: Credentials): Promise<AuthOutcome> {
    if (signal?.aborted) return { kind: 'abandoned' };
    const retryAfter = limiter.retryAfter(client);
    if (retryAfter > 0) return { kind: 'limited', retryAfter };
    if (authorization === undefined || authorization === '') return { kind: 'missing' };
    const given = parseBasicAuth(authorization);
    const credentials = given && { user: nfc(given.user), password: nfc(given.password) };
    const matched = credentials ? await matches(credentials.user, credentials.password, signal) : false;
    if (matched === 'busy') return { kind: 'busy', retryAfter: BUSY_RETRY_AFTER };
    if (matched === 'abandoned') return { kind: 'abandoned' };
    if (credentials && matched) {
      limiter.succeed(client);
      return { kind: 'ok', user: credentials.user };
    }
    limiter.fail(client);
    return { kind: 'wrong', user: credentials?.user ?? '' };
  }

  // One check at a time per address: parallel guesses cannot slip past the limit before their
  // failures count, one address holds at most one place in the hashing queue, and parallel
  // requests with the right password wait for the first to be remembered instead of each
  // running scrypt.
  const queues = new Map<string, Promise<unknown>>();
  return (credentials) => {
    const { client } = credentials;
    const outcome = (queues.get(client) ?? Promise.resolve()).then(() => check(credentials));
    const tail = outcome.catch(() => undefined);
    queues.set(client, tail);
    void tail.then(() => {
      if (queues.get(client) === tail) queues.delete(client);
    });
    return outcome;
  };
}
