/**
 * `mcdebian dns-blacklist hash-password`: reads a password (on a terminal twice, not shown; else
 * the first line of stdin), prints the hash line the overlay's `api.passwordHash` file holds.
 * `mcdebian dns-blacklist import FILE --api URL --password-file F`: sends a hosts-format block
 * list to a device's admin API, in batches.
 */
import { readFile } from 'node:fs/promises';
import { findBasicUserProblem } from './app/auth.js';
import { readFirstLine } from './app/first-line.js';
import { parseHostsFile } from './app/hosts.js';
import { hashPassword } from './app/password.js';
import { POLICY_ZONE } from './named.js';
import { UserError } from '../../build/core/errors.js';
import { readSecretLines, type TerminalInput } from '../../build/core/read-secret.js';
import { commonFlags, stringFlag, UsageError, writeJson, type CommandContext, type CommandGroup, type ExitCode } from '../../build/core/command.js';

/** Names per request: well under the API's batch and body limits. */
const BATCH = 1000;

export interface ImportOptions {
  file: string;
  api: string;
  user: string;
  passwordFile: string;
  json: boolean;
}

/**
 * The password: on a terminal typed twice with echo off (and the two must match); from a pipe or
 * a file its first line, as before.
 */
async function readPassword(context: CommandContext, stdin: TerminalInput): Promise<string> {
  if (!stdin.isTTY) return readFirstLine(stdin);
  const [first = '', again] = await readSecretLines(stdin, {
    prompts: ['the admin API\'s password (typing is not shown):', 'the same password again:'],
    say: (prompt) => context.logger.info(prompt),
  });
  if (first !== again) throw new UserError('the two passwords differ; nothing was printed', { hint: 'run it again and type the same password twice' });
  return first;
}

export async function runHashPassword(context: CommandContext, stdin: TerminalInput): Promise<ExitCode> {
  const password = await readPassword(context, stdin);
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

export const dnsBlacklistCommands: CommandGroup = {
  summary: 'hash-password: make the admin password\'s hash line; import FILE: send a hosts-format list to a device',
  expected: 'hash-password or import FILE',
  subcommands: {
    'hash-password': {
      summary: 'read a password (typed twice, not shown, on a terminal; else the first line of stdin) and print the line for the api.passwordHash file',
      usage: 'mcdebian dns-blacklist hash-password < password-file',
      flags: {},
      run: (context) => runHashPassword(context, context.stdin ?? process.stdin),
    },
    import: {
      summary: 'send a hosts-format block list to a device\'s admin API, in batches',
      usage: 'mcdebian dns-blacklist import FILE --api URL --password-file F [--user admin] [--json]',
      flags: {
        api: { type: 'string', value: 'URL', description: 'the device\'s admin API, e.g. http://192.168.1.1:8053' },
        user: { type: 'string', value: 'NAME', description: 'the API user (default admin)' },
        'password-file': { type: 'string', value: 'F', description: 'a file whose first line is the API password' },
        json: commonFlags.json,
      },
      positionals: { min: 1, max: 1 },
      run: (context, values, [file]) => {
        const [api, passwordFile] = [stringFlag(values, 'api'), stringFlag(values, 'password-file')];
        if (api === undefined || passwordFile === undefined) throw new UsageError('dns-blacklist import needs --api URL and --password-file FILE');
        return runImport(context, { file: file!, api, user: stringFlag(values, 'user') ?? 'admin', passwordFile, json: values.json === true });
      },
    },
  },
};
