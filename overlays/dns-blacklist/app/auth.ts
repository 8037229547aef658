/**
 * HTTP Basic authentication (RFC 7617) against the scrypt hash, with failed attempts limited per
 * client address. A password once verified is remembered for a few minutes as an HMAC under a
 * key that lives only in this process, so a script making many requests costs one scrypt, not
 * one per request (32 MiB and a fraction of a second each on the router).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { verifyPassword } from './password.js';
import type { FailureLimiter } from '../../runtime/failure-limiter.js';

export interface AuthenticatorOptions {
  /** The user name required; any when undefined. */
  user: string | undefined;
  /** The hash line from password.ts. */
  passwordHash: string;
  limiter: FailureLimiter;
  /** How long a verified password is remembered, in ms. */
  rememberMs?: number;
  now?: () => number;
}

/** The outcome of one request's credentials. */
export type AuthOutcome =
  | { kind: 'ok'; user: string }
  | { kind: 'missing' }
  | { kind: 'wrong'; user: string }
  | { kind: 'limited'; retryAfter: number };

/** A request's credentials checked: the Authorization header and the client's address. */
export type Authenticator = (authorization: string | undefined, client: string) => Promise<AuthOutcome>;

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
  const { limiter, rememberMs = 5 * 60_000, now = Date.now } = options;
  const key = randomBytes(32);
  const remembered = new Map<string, number>();
  const fingerprint = (user: string, password: string) => createHmac('sha256', key).update(`${user}\0${password}`).digest('base64');

  async function matches(user: string, password: string): Promise<boolean> {
    const print = fingerprint(user, password);
    if ((remembered.get(print) ?? 0) > now()) return true;
    // the hash is checked even for a wrong user name, so timing does not tell user names apart
    const ok = (await verifyPassword(password, options.passwordHash)) && (options.user === undefined || user === options.user);
    if (ok) {
      if (remembered.size >= 16) remembered.clear();
      remembered.set(print, now() + rememberMs);
    }
    return ok;
  }

  async function check(authorization: string | undefined, client: string): Promise<AuthOutcome> {
    const retryAfter = limiter.retryAfter(client);
    if (retryAfter > 0) return { kind: 'limited', retryAfter };
    if (authorization === undefined || authorization === '') return { kind: 'missing' };
    const credentials = parseBasicAuth(authorization);
    if (credentials && await matches(credentials.user, credentials.password)) {
      limiter.succeed(client);
      return { kind: 'ok', user: credentials.user };
    }
    limiter.fail(client);
    return { kind: 'wrong', user: credentials?.user ?? '' };
  }

  // One check at a time per address: parallel guesses cannot slip past the limit before their
  // failures count, and parallel requests with the right password wait for the first to be
  // remembered instead of each running scrypt.
  const queues = new Map<string, Promise<unknown>>();
  return (authorization, client) => {
    const outcome = (queues.get(client) ?? Promise.resolve()).then(() => check(authorization, client));
    const tail = outcome.catch(() => undefined);
    queues.set(client, tail);
    void tail.then(() => {
      if (queues.get(client) === tail) queues.delete(client);
    });
    return outcome;
  };
}
