/**
 * The entry point every overlay Node service shares: runs its command, prints a final error
 * and sets the exit code (sysexits.h): 64 bad usage, 78 a config error, 74 stored data the
 * service cannot read or keep (units stop restarting on both with RestartPreventExitStatus=),
 * 1 anything else. A bug shows its stack; an expected failure (a config, a missing file, a tool
 * that failed) only its message.
 */
import { createLog, type Log } from './service-log.js';

/** A command line the service does not understand. */
export class UsageError extends Error {}

/** A configuration the service cannot run with. */
export class ConfigError extends Error {}

/** Stored data the service cannot read or keep, where a restart would meet the same (EX_IOERR). */
export class StorageError extends Error {}

/** Exit codes the units list in RestartPreventExitStatus=: restarting will not help. */
export const EXIT_CONFIG = 78;
export const EXIT_STORAGE = 74;

export async function runServiceMain(run: (argv: string[], log: Log) => Promise<number>, usage: string): Promise<void> {
  const log = createLog();
  try {
    process.exitCode = await run(process.argv.slice(2), log);
  } catch (error) {
    const isUsage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const bug = error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || !(error instanceof Error);
    log.error(isUsage ? `${(error as Error).message}\n${usage}` : bug ? String((error as Error).stack ?? error) : (error as Error).message);
    process.exitCode = isUsage ? 64 : error instanceof ConfigError ? EXIT_CONFIG : error instanceof StorageError ? EXIT_STORAGE : 1;
  }
}

/** Keeps a started service running until SIGTERM or SIGINT, then closes it; resolves with exit code 0. */
export async function serveUntilSignal(service: { close(): Promise<void> }, log: Log): Promise<number> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info(`stopping on ${signal}`);
  await service.close();
  log.info('stopped');
  return 0;
}
