/**
 * `mcdebian dns-blacklist hash-password`: reads a password (on a terminal twice, not shown; else
 * the first line of stdin), prints the hash line the overlay's `api.passwordHash` file holds.
 * `mcdebian dns-blacklist import FILE --api URL --password-file F`: sends a hosts-format block
 * list to a device's admin API, in batches. `mcdebian dns-blacklist list --api URL
 * --password-file F`: prints the blocked domains (GET /domains).
 */
import { readFirstLine } from './app/first-line.js';
import { parseHostsFile } from './app/hosts.js';
import { hashPassword } from './app/password.js';
import { POLICY_ZONE } from './named.js';
import { authorizationOf, checkApiUrl, checkApiUser, readNamedFile, requestApi, type ApiLogin } from './api-client.js';
import { UserError } from '../../build/core/errors.js';
import { readSecretLines, type TerminalInput } from '../../build/core/read-secret.js';
import { commonFlags, stringFlag, UsageError, writeJson, type CommandContext, type CommandGroup, type ExitCode, type Flag, type FlagValues } from '../../build/core/command.js';

/** Names per request: well under the API's batch and body limits. */
const BATCH = 1000;

export interface ImportOptions extends ApiLogin {
  file: string;
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
  checkApiUser(options.user);
  const list = parseHostsFile(await readNamedFile(options.file, 'block list'), POLICY_ZONE);
  for (const invalid of list.invalid) context.logger.warn(`${options.file}:${invalid.line}: ${JSON.stringify(invalid.entry)} ${invalid.reason}; skipped`);
  const authorization = await authorizationOf(options);
  let added = 0;
  let alreadyBlocked = 0;
  for (let start = 0; start < list.domains.length; start += BATCH) {
    const batch = list.domains.slice(start, start + BATCH);
    const body = await requestApi<{ added?: string[]; alreadyBlocked?: string[] }>(options, authorization, {
      method: 'POST', path: '/domains', body: { add: batch, remove: [] }, progress: `after ${added} added`,
    });
    added += body.added?.length ?? 0;
    alreadyBlocked += body.alreadyBlocked?.length ?? 0;
    context.logger.info(`import: ${Math.min(start + BATCH, list.domains.length)} of ${list.domains.length} sent`);
  }
  const report = { file: options.file, added, alreadyBlocked, invalid: list.invalid.length, skipped: list.skipped };
  if (options.json) writeJson(context, report);
  else context.stdout.write(`${options.file}: ${added} added, ${alreadyBlocked} already blocked, ${report.invalid} invalid, ${report.skipped} local names or addresses skipped\n`);
  return 0;
}

/** The blocked domains, one a line, or as JSON. */
export async function runList(context: CommandContext, options: ApiLogin & { json: boolean }): Promise<ExitCode> {
  checkApiUser(options.user);
  const { domains = [] } = await requestApi<{ domains?: string[] }>(options, await authorizationOf(options), { method: 'GET', path: '/domains' });
  if (options.json) writeJson(context, { api: options.api, count: domains.length, domains });
  else context.stdout.write(domains.map((domain) => `${domain}\n`).join(''));
  return 0;
}

/** --api and --password-file, required by both API commands. */
function loginOf(values: FlagValues, command: string): ApiLogin {
  const [api, passwordFile] = [stringFlag(values, 'api'), stringFlag(values, 'password-file')];
  if (api === undefined || passwordFile === undefined) throw new UsageError(`dns-blacklist ${command} needs --api URL and --password-file FILE`, 'e.g. --api http://192.168.1.1:8053 --password-file admin-password');
  checkApiUrl(api);
  return { api, passwordFile, user: stringFlag(values, 'user') ?? 'admin' };
}

const apiFlags = {
  api: { type: 'string', value: 'URL', description: 'the device\'s admin API, e.g. http://192.168.1.1:8053' },
  user: { type: 'string', value: 'NAME', description: 'the API user (default admin)' },
  'password-file': { type: 'string', value: 'F', description: 'a file whose first line is the API password' },
  json: commonFlags.json,
} as const satisfies Record<string, Flag>;

export const dnsBlacklistCommands: CommandGroup = {
  summary: 'hash-password: make the admin password\'s hash line; import FILE: send a hosts-format list to a device; list: the blocked domains',
  expected: 'hash-password, import FILE or list',
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
      flags: apiFlags,
      positionals: { min: 1, max: 1 },
      run: (context, values, [file]) => runImport(context, { file: file!, ...loginOf(values, 'import'), json: values.json === true }),
    },
    list: {
      summary: 'print the domains a device blocks, from its admin API, one a line',
      usage: 'mcdebian dns-blacklist list --api URL --password-file F [--user admin] [--json]',
      flags: apiFlags,
      run: (context, values) => runList(context, { ...loginOf(values, 'list'), json: values.json === true }),
    },
  },
};
