/**
 * The service's entry point, bundled into one file (main.mjs) for Debian's nodejs:
 *   main.mjs [serve] [--config PATH]        the admin API and the blocked page, until SIGTERM
 *   main.mjs import FILE [--config PATH]    adds a hosts-format block list
 *   main.mjs hash-password                  reads a password on stdin, prints its hash line
 *   main.mjs health [--config PATH]         prints whether the API answers and the zone's size, as JSON
 * Final errors and exit codes: service-main.ts.
 */
import { parseArgs } from 'node:util';
import { Blocklist } from './blocklist.js';
import { readFirstLine } from './first-line.js';
import { DEFAULT_CONFIG_PATH, loadConfig, zoneSettingsOf } from './config.js';
import { describeImport, importHostsFile } from './import.js';
import type { Log } from '../../runtime/service-log.js';
import { runServiceMain, serveUntilSignal, UsageError } from '../../runtime/service-main.js';
import { checkHealth } from './health.js';
import { hashPassword } from './password.js';
import { startService } from './serve.js';
import { createDnsUpdater } from './updater.js';

const USAGE = `usage: main.mjs [serve] [--config PATH]
       main.mjs import FILE [--config PATH]
       main.mjs hash-password   (password on stdin)
       main.mjs health [--config PATH]
--config defaults to ${DEFAULT_CONFIG_PATH}`;

/** The first line of stdin: the password, without its newline. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (shown as you type; pipe it in to hide it): ');
  return readFirstLine(process.stdin);
}

/** Runs the servers until SIGTERM or SIGINT, then stops them in order. */
async function serve(configPath: string, log: Log): Promise<number> {
  const service = await startService(await loadConfig(configPath), log);
  return serveUntilSignal(service, log);
}

/** Adds a hosts file's names; fails only when the zone could not be read or changed. */
async function importFile(file: string, configPath: string, log: Log): Promise<number> {
  const config = await loadConfig(configPath);
  const blocklist = new Blocklist(createDnsUpdater({ settings: zoneSettingsOf(config), keyFile: config.tsigKeyFile }));
  log.info(describeImport(file, await importHostsFile({ file, zone: config.zone, blocklist, log })));
  return 0;
}

/** The API's and the zone's health as JSON on stdout (for mcdebian status); exit 0 whatever they say. */
async function health(configPath: string): Promise<number> {
  const config = await loadConfig(configPath);
  const updater = createDnsUpdater({ settings: zoneSettingsOf(config), keyFile: config.tsigKeyFile });
  process.stdout.write(`${JSON.stringify(await checkHealth(config, updater, { timeoutMs: 10_000 }))}\n`);
  return 0;
}

/** Runs one command; resolves with the exit code. */
async function run(argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', default: DEFAULT_CONFIG_PATH } } });
  const [command = 'serve', ...rest] = positionals;
  if (command === 'serve' && rest.length === 0) return serve(values.config, log);
  if (command === 'import' && rest.length === 1) return importFile(rest[0]!, values.config, log);
  if (command === 'health' && rest.length === 0) return health(values.config);
  if (command === 'hash-password' && rest.length === 0) {
    process.stdout.write(`${await hashPassword(await readPassword())}\n`);
    return 0;
  }
  throw new UsageError(`unknown command or arguments: ${positionals.join(' ')}`);
}

await runServiceMain(run, USAGE);
