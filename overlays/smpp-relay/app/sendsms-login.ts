/**
 * Who a sendsms request is: Kannel's authorisation (smsbox.c, authorise_username(): the
 * username and password, or user and pass, of a sendsms-user, from an address its
 * user-allow-ip and user-deny-ip allow), answered as Kannel answers a failure, 403
 * "Authorization failed for sendsms". Beyond Kannel, which neither limits nor logs them (the
 * issue saw 922 wrong passwords a second), failures are logged and limited per client address.
 */
import { FailureLimiter } from '../../runtime/failure-limiter.js';
import { limitRepeats, type Log } from '../../runtime/service-log.js';
import { argText } from './http-args.js';
import { isAllowedIp } from './ip-patterns.js';
import type { SendsmsReply } from './types.js';
import type { UserSettings } from './types.js';

/** The account a request's username and password open, from an allowed address. */
export function authorise(args: ReadonlyMap<string, Buffer>, clientIp: string, users: readonly UserSettings[]): UserSettings | undefined {
  const username = argText(args, 'username', 'user');
  const password = argText(args, 'password', 'pass');
  if (username === undefined || password === undefined) return undefined;
  const user = users.find((candidate) => candidate.username === username);
  if (!user || user.password !== password) return undefined;
  return isAllowedIp(user.userAllowIp, user.userDenyIp, clientIp) ? user : undefined;
}

export interface LoginsOptions {
  log: Log;
  /** Failed logins an address may have within the window (default 10 a minute). */
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

/** sendsms's logins, with the failures of each client address counted. */
export class Logins {
  readonly #limiter: FailureLimiter;
  readonly #failures: Log;

  constructor(options: LoginsOptions) {
    this.#limiter = new FailureLimiter({ maxFailures: options.maxFailures ?? 10, windowMs: options.windowMs ?? 60_000, ...(options.now && { now: options.now }) });
    // one line per failure, limited: a script guessing passwords must not flood the journal
    this.#failures = limitRepeats(options.log, 'sendsms failed logins');
  }

  /**
   * The request's account, or the answer. Over the limit the address gets 429 (RFC 6585) with
   * Retry-After, even with the right password, until its oldest failure is a window old: a
   * script sees why it is refused and when to come back, where Kannel's 403 would let it guess
   * on, and 503 "Temporal failure" would tell a client to resend a message it never sent. A
   * good login does not clear an address's failures: another account's valid password must
   * not buy more guesses at this one.
   */
  check(args: ReadonlyMap<string, Buffer>, clientIp: string, users: readonly UserSettings[]): UserSettings | SendsmsReply {
    const retryAfter = this.#limiter.retryAfter(clientIp);
    if (retryAfter > 0) {
      return { status: 429, body: `Too many failed logins, try again in ${retryAfter} s.`, headers: { 'Retry-After': String(retryAfter) } };
    }
    const user = authorise(args, clientIp, users);
    if (user) return user;
    this.#limiter.fail(clientIp);
    const username = argText(args, 'username', 'user');
    const refused = this.#limiter.retryAfter(clientIp);
    this.#failures.warn(`sendsms: authorization failed for ${username === undefined ? 'no username' : JSON.stringify(username)} from ${clientIp}` +
      (refused > 0 ? `; too many failures: refused for ${refused} s` : ''));
    return { status: 403, body: 'Authorization failed for sendsms' };
  }
}
