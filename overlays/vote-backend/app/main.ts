/**
 * The vote service's entry point, bundled into one file (main.mjs) for Debian's nodejs:
 *   main.mjs serve [--config PATH]    takes votes until SIGTERM (a node:cluster of workers)
 *   main.mjs check [--config PATH]    reports what the service makes of its config
 *   main.mjs health [--config PATH]   prints the running service's /healthz as JSON (for mcdebian status)
 * Final errors and exit codes (78 for a config it cannot run, 74 for a journal it cannot
 * read or whose damaged lines it cannot set aside): service-main.ts.
 */
import { parseArgs } from 'node:util';
import { getLocal, localAddressOf } from '../../runtime/local-get.js';
import type { Log } from '../../runtime/service-log.js';
import { runServiceMain, UsageError } from '../../runtime/service-main.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from './config.js';
import { describeEndpoint } from './database.js';
import { serveVotes, workerCount } from './serve.js';

const USAGE = `usage: main.mjs [serve] [--config PATH]
       main.mjs check [--config PATH]
       main.mjs health [--config PATH]
--config defaults to ${DEFAULT_CONFIG_PATH}`;

async function check(path: string, log: Log): Promise<number> {
  const config = await loadConfig(path);
  const polls = config.polls.map((poll) => `${poll.id} (${poll.choices.length} choices)`).join(', ');
  log.info(`${path}: ${config.polls.length} polls: ${polls}; ${workerCount(config)} workers on ${config.listen.address}:${config.listen.port}; ` +
    `database ${config.database.database} at ${config.database.endpoints.map(describeEndpoint).join(', ')}; batches of up to ${config.batch.maxVotes} votes every ${config.batch.intervalMs} ms`);
  return 0;
}

/** The service's /healthz on stdout as JSON; exit 0 whatever it says, 1 when it does not answer. */
async function health(path: string): Promise<number> {
  const config = await loadConfig(path);
  const answer = await getLocal(new URL(`http://${localAddressOf(config.listen.address)}:${config.listen.port}/healthz`), { timeoutMs: 10_000 });
  process.stdout.write(`${answer.body.trim()}\n`);
  return 0;
}

async function run(argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', default: DEFAULT_CONFIG_PATH } } });
  const [command = 'serve', ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
  if (command === 'serve') return serveVotes(await loadConfig(values.config), log);
  if (command === 'check') return check(values.config, log);
  if (command === 'health') return health(values.config);
  throw new UsageError(`unknown command: ${command}`);
}

await runServiceMain(run, USAGE);
