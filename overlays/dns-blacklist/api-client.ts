/**
 * The workstation's side of the admin API (app/api.ts), for `mcdebian dns-blacklist import`
 * and `list`: the login from --user and --password-file, and requests whose failures name the
 * flag to check.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../build/core/command.js';
import { UserError } from '../../build/core/errors.js';
import { findBasicUserProblem } from './app/auth.js';

export interface ApiLogin {
  /** The API's base URL, e.g. http://192.168.1.1:8053. */
  api: string;
  user: string;
  /** A file whose first line is the password. */
  passwordFile: string;
}

/** The --api URL checked: http or https, before anything is read or sent. */
export function checkApiUrl(api: string): void {
  const protocol = URL.canParse(api) ? new URL(api).protocol : undefined;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(`--api ${JSON.stringify(api)} is not an http:// or https:// URL`, 'e.g. --api http://192.168.1.1:8053');
  }
}

/** Reads a file the command names, or a UserError naming it. */
export const readNamedFile = (path: string, what: string) => readFile(path, 'utf8').catch(() => {
  throw new UserError(`cannot read ${what} ${path}`, { hint: 'check the path' });
});

/** Checks --user before anything is read or sent. */
export function checkApiUser(user: string): void {
  const problem = findBasicUserProblem(user);
  if (problem) throw new UserError(`--user ${JSON.stringify(user)} ${problem}`, { hint: 'give the user name of the overlay\'s api.user' });
}

/** The Authorization header of the login (HTTP Basic, RFC 7617). */
export async function authorizationOf(login: ApiLogin): Promise<string> {
  const password = (await readNamedFile(login.passwordFile, 'password file')).split(/\r?\n/)[0] ?? '';
  return `Basic ${Buffer.from(`${login.user}:${password}`).toString('base64')}`;
}

/** A JSON request to the API; an answer that is not 2xx is a UserError with the API's message. */
export async function requestApi<T>(login: ApiLogin, authorization: string, request: { method: string; path: string; body?: unknown; progress?: string }): Promise<T> {
  const url = new URL(request.path, login.api);
  const headers: Record<string, string> = { authorization, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) };
  const response = await fetch(url, { method: request.method, headers, body: request.body === undefined ? undefined : JSON.stringify(request.body) })
    .catch((error: Error) => { throw new UserError(`cannot reach ${url.origin}: ${error.message}`, { hint: 'check --api; with TLS from a private CA, set NODE_EXTRA_CA_CERTS to its certificate' }); });
  const body = await response.json().catch(() => ({})) as T & { error?: string };
  if (!response.ok) {
    throw new UserError(`${url.href} answered ${response.status}: ${body.error ?? response.statusText}${request.progress ? ` (${request.progress})` : ''}`, {
      hint: response.status === 401 ? 'check --user and --password-file' : undefined,
    });
  }
  return body;
}
