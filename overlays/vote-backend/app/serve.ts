/**
 * Runs the service on every CPU: a node:cluster primary forks one worker per CPU (or
 * `workers`), each with its own journal and database connection, and the primary hands them
 * the connections of its one listening socket in turn (cluster's round-robin, the default on
 * Linux: Node's cluster documentation notes that letting the workers accept on a shared socket
 * leaves the load "very unbalanced"). The primary keeps the server's admission limits and adds
 * up the workers' numbers (cluster-channel.ts), restarts a worker that dies (its journal
 * replays), and stops them all on SIGTERM. One worker runs alone, without a primary.
 */
import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Log } from '../../runtime/service-log.js';
import { EXIT_CONFIG, EXIT_STORAGE, StorageError } from '../../runtime/service-main.js';
import { JournalUnusableError } from '../../runtime/journal.js';
import { Admission } from './admission.js';
import { PrimaryChannel, WorkerChannel, type KnownWorker } from './cluster-channel.js';
import { ConfigError, type VoteConfig } from './config.js';
import { MariaDbVoteDatabase } from './database.js';
import { startVoteWorker, type RunningWorker } from './worker.js';

const WORKER_INDEX = 'MCDEBIAN_VOTE_WORKER';

/** How many workers: the config's number, or one per CPU. */
export const workerCount = (config: VoteConfig): number => config.workers || availableParallelism();

async function readSecret(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/** The database as the config describes it for worker `index` (the password and CA read now). */
export async function openDatabase(config: VoteConfig, index: number): Promise<MariaDbVoteDatabase> {
  const { database } = config;
  const password = await readSecret(database.passwordFile, 'the database password file');
  const ca = database.tls?.caFile ? await readSecret(database.tls.caFile, 'the database CA file') : undefined;
  return new MariaDbVoteDatabase({
    endpoints: database.endpoints, user: database.user, password, database: database.database,
    tls: database.tls ? (ca ? { ca } : {}) : null, connectTimeoutMs: database.connectTimeoutMs, serverId: config.serverId,
    writer: `${config.serverId}/${index}`,
  });
}

/** Resolves on the first SIGTERM or SIGINT; later ones are ignored while the service stops. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => resolve(signal);
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

async function startWorker(config: VoteConfig, options: { index: number; count: number; log: Log; cluster?: WorkerChannel }): Promise<RunningWorker> {
  return startVoteWorker({ config, database: await openDatabase(config, options.index), ...options }).catch((error: unknown) => {
    // a journal that cannot be read will not be readable after a restart either
    throw error instanceof JournalUnusableError ? new StorageError(error.message, { cause: error }) : error;
  });
}

/** Runs one worker in this process until SIGTERM. */
async function runAlone(config: VoteConfig, log: Log): Promise<number> {
  const worker = await startWorker(config, { index: 0, count: 1, log });
  log.info(`taking votes on ${worker.address.address}:${worker.address.port} (1 worker)`);
  log.info(`stopping on ${await stopSignal()}`);
  await worker.close();
  return 0;
}

/** A cluster worker: runs until SIGTERM (from systemd or from the primary). */
async function runWorker(config: VoteConfig, log: Log): Promise<number> {
  const index = Number(process.env[WORKER_INDEX]);
  const count = workerCount(config);
  let running: RunningWorker | undefined;
  // the primary may ask for this worker's numbers while its journal is still being read
  const channel = new WorkerChannel(() => running?.metrics.snapshot());
  process.on('message', (message) => channel.receive(message));
  running = await startWorker(config, { index, count, log, cluster: channel });
  await stopSignal();
  await running.close();
  // the IPC channel would keep this process alive: let it go once the work is done
  cluster.worker?.disconnect();
  return 0;
}

/** The primary: forks, restarts and stops the workers; exits with a worker's config or storage error. */
async function runPrimary(config: VoteConfig, log: Log): Promise<number> {
  const count = workerCount(config);
  const workers = new Map<number, KnownWorker>();
  const channel = new PrimaryChannel(new Admission(config.limits), () => [...workers.values()]);
  let stopping = false;
  let failure: number | undefined;
  let listening = 0;
  const allExited = new Promise<void>((resolve) => {
    const fork = (index: number) => {
      const worker = cluster.fork({ [WORKER_INDEX]: String(index) });
      const known = { worker, started: false };
      workers.set(index, known);
      worker.on('message', (message) => channel.receive(worker, message));
      worker.on('listening', (address) => {
        known.started = true;
        if (++listening === count) log.info(`taking votes on ${address.address ?? '*'}:${address.port} (${count} workers)`);
      });
      worker.on('exit', (code, signal) => {
        workers.delete(index);
        if (code === EXIT_CONFIG || code === EXIT_STORAGE) {
          failure ??= code;
          stop();
        }
        if (!stopping) {
          log.error(`worker ${index} ended (${signal ?? `exit code ${code}`}); starting it again in 1 s`);
          setTimeout(() => !stopping && fork(index), 1000).unref();
        }
        if (stopping && workers.size === 0) resolve();
      });
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      if (workers.size === 0) resolve();
      for (const { worker } of workers.values()) worker.process.kill('SIGTERM');
      setTimeout(() => [...workers.values()].forEach(({ worker }) => worker.process.kill('SIGKILL')), 30_000).unref();
    };
    for (let index = 0; index < count; index++) fork(index);
    void stopSignal().then((signal) => {
      log.info(`stopping on ${signal}`);
      stop();
    });
  });
  await allExited;
  return failure ?? 0;
}

/** `serve`: the cluster, or one worker alone. */
export async function serveVotes(config: VoteConfig, log: Log): Promise<number> {
  if (cluster.isWorker) return runWorker(config, log);
  if (workerCount(config) === 1) return runAlone(config, log);
  return runPrimary(config, log);
}
