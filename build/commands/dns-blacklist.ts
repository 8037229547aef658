/**
 * `mcdebian dns-blacklist hash-password`: reads a password on stdin, prints the hash line the
 * overlay's `api.passwordHash` file holds. `mcdebian dns-blacklist import FILE --api URL
 * --password-file F`: sends a hosts-format block list to a device's admin API, in batches.
 */
import { readFile } from 'node:fs/promises';
import { findBasicUserProblem } from '../../overlays/dns-blacklist/app/auth.js';
import { readFirstLine } from '../../overlays/dns-blacklist/app/first-line.js';
import { parseHostsFile } from '../../overlays/dns-blacklist/app/hosts.js';
import { hashPassword } from '../../overlays/dns-blacklist/app/password.js';
import { POLICY_ZONE } from '../../overlays/dns-blacklist/named.js';
import { UserError } from '../core/errors.js';
import { writeJson, type CommandContext, type ExitCode } from './context.js';

/** Names per request: well under the API's batch and body limits. */
const BATCH = 1000;

export interface ImportOptions {
  file: string;
  api: string;
  user: string;
  passwordFile: string;
  json: boolean;
}

export async function runHashPassword(context: CommandContext, stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<ExitCode> {
  if (stdin.isTTY) context.logger.info('password (it shows as you type; pipe it in to hide it):');
  const password = await readFirstLine(stdin);
  if (password.length < 8) throw new UserError('the password is shorter than 8 characters', { hint: 'choose a longer one; the admin API is reachable from the LAN' });
  context.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

export async function runImport(context: CommandContext, options: ImportOptions): Promise<ExitCode> {
  const read = (path: string, what: string) => readFile(path, 'utf8').catch(() => {
    throw new UserError(`cannot read ${what} ${path}`, { hint: 'check the path' });
  });
  const userProblem = findBasicUserProblem(options.user);
  if (userProblem) throw new UserError(`--user ${JSON.stringify(options.user)} ${userProblem}`, { hint: 'give the user name of the overlay\'s api.user' });
  const list = parseHostsFile(await read(options.file, 'block list'), POLICY_ZONE);
  for (const invalid of list.invalid) context.logger.warn(`${options.file}:${invalid.line}: ${JSON.stringify(invalid.entry)} ${invalid.reason}; skipped`);
  const password = (await read(options.passwordFile, 'password file')).split(/\r?\n/)[0] ?? '';
  const authorization = `Basic ${Buffer.from(`${options.user}:${password}`).toString('base64')}`;
  const url = new URL('/domains', options.api);
  let added = 0;
  let alreadyBlocked = 0;
  for (let start = 0; start < list.domains.length; start += BATCH) {
    const batch = list.domains.slice(start, start + BATCH);
    const response = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ add: batch, remove: [] }) })
      .catch((error: Error) => { throw new UserError(`cannot reach ${url.origin}: ${error.message}`, { hint: 'check --api; with TLS from a private CA, set NODE_EXTRA_CA_CERTS to its certificate' }); });
    const body = await response.json().catch(() => ({})) as { added?: string[]; alreadyBlocked?: string[]; error?: string };
    if (!response.ok) throw new UserError(`${url.href} answered ${response.status}: ${body.error ?? response.statusText} (after ${added} added)`, { hint: response.status === 401 ? 'check --user and --password-file' : undefined });
    added += body.added?.length ?? 0;
    alreadyBlocked += body.alreadyBlocked?.length ?? 0;
    context.logger.info(`import: ${Math.min(start + BATCH, list.domains.length)} of ${list.domains.length} sent`);
  }
  const report = { file: options.file, added, alreadyBlocked, invalid: list.invalid.length, skipped: list.skipped };
  if (options.json) writeJson(context, report);
  else context.stdout.write(`${options.file}: ${added} added, ${alreadyBlocked} already blocked, ${report.invalid} invalid, ${report.skipped} local names or addresses skipped\n`);
  return 0;
}
