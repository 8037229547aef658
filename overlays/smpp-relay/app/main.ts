/**
 * The relay's entry point, bundled into one file (main.mjs) for Debian's nodejs:
 *   main.mjs serve --config kannel.conf [--store FILE]   runs until SIGTERM or SIGINT
 *   main.mjs check --config kannel.conf                  reports what the relay makes of a config
 *   main.mjs status --config kannel.conf                 prints the running relay's /status.json
 * Final errors and exit codes (78 for a config the relay cannot run, 74 for a message store it
 * cannot read or whose damaged lines it cannot set aside): service-main.ts.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Log } from '../../runtime/service-log.js';
import { ConfigError, runServiceMain, serveUntilSignal, StorageError, UsageError } from '../../runtime/service-main.js';
import { JournalUnusableError } from '../../runtime/journal.js';
import { startRelay } from './service.js';
import { formatIssue, loadKannelConf } from './settings.js';
import { queryStatus } from './status-query.js';
import type { RelaySettings } from './types.js';

const USAGE = `usage: main.mjs serve --config kannel.conf [--store FILE]
       main.mjs check --config kannel.conf
       main.mjs status --config kannel.conf`;

/** Reads and checks the config; warnings are logged, errors thrown together. */
async function loadSettings(path: string, log: Log): Promise<RelaySettings> {
  const { settings, issues } = await loadKannelConf(path);
  for (const issue of issues.filter((entry) => entry.severity === 'warning')) log.warn(formatIssue(issue));
  const errors = issues.filter((entry) => entry.severity === 'error');
  if (errors.length > 0 || !settings) throw new ConfigError(errors.map(formatIssue).join('\n') || `${path}: no settings`);
  return settings;
}

/** The journal: --store, else core's store-location (a directory, or a file beside which it goes). */
function storePathOf(settings: RelaySettings, configPath: string, option: string | undefined): string {
  if (option) return option;
  const location = settings.core.storeLocation;
  if (!location) return join(dirname(configPath), 'smpp-relay.journal');
  return location.endsWith('/') ? join(location, 'smpp-relay.journal') : `${location}.journal`;
}

async function tlsOf(settings: RelaySettings): Promise<{ ca?: string; cert?: string; key?: string } | undefined> {
  const { sslTrustedCaFile: caFile, sslClientCertkeyFile: certKeyFile } = settings.core;
  if (!caFile && !certKeyFile) return undefined;
  const ca = caFile ? await readFile(caFile, 'utf8') : undefined;
  const certKey = certKeyFile ? await readFile(certKeyFile, 'utf8') : undefined;
  return { ...(ca ? { ca } : {}), ...(certKey ? { cert: certKey, key: certKey } : {}) };
}

async function serve(configPath: string, storeOption: string | undefined, log: Log): Promise<number> {
  const settings = await loadSettings(configPath, log);
  const tls = await tlsOf(settings);
  const relay = await startRelay({ settings, storePath: storePathOf(settings, configPath, storeOption), log, ...(tls ? { tls } : {}) }).catch((error: unknown) => {
    // systemd restarting every 2 s would read the same unreadable file again: stop instead
    throw error instanceof JournalUnusableError ? new StorageError(error.message, { cause: error }) : error;
  });
  return serveUntilSignal(relay, log);
}

async function check(configPath: string, log: Log): Promise<number> {
  const settings = await loadSettings(configPath, log);
  log.info(`${configPath}: ${settings.links.length} links (${[...new Set(settings.links.map((link) => link.smscId))].join(', ')}), ${settings.users.length} sendsms users, sendsms on port ${settings.smsbox.sendsmsPort}, status on port ${settings.core.adminPort}`);
  return 0;
}

/** The running relay's status, asked the way its kannel.conf allows (status-query.ts). */
async function status(configPath: string, log: Log): Promise<number> {
  const settings = await loadSettings(configPath, log);
  process.stdout.write(await queryStatus(settings, { timeoutMs: 10_000 }));
  return 0;
}

async function run(argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, store: { type: 'string' } } });
  const [command, ...rest] = positionals;
  if (!values.config || rest.length > 0) throw new UsageError('--config is required');
  if (command === 'serve') return serve(values.config, values.store, log);
  if (command === 'check' && values.store === undefined) return check(values.config, log);
  if (command === 'status' && values.store === undefined) return status(values.config, log);
  throw new UsageError(`unknown command: ${positionals.join(' ')}`);
}

await runServiceMain(run, USAGE);
