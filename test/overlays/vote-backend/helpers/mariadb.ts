/**
 * A real MariaDB server (Debian's mariadbd) for the vote-backend tests and benchmark: its own
 * datadir, socket and loopback port, never the host's packaged server. `args` adds server
 * options (a Galera node's wsrep settings); stop/start/kill drive the same datadir again.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export interface MariaDbOptions {
  /** An empty or missing directory: the datadir, socket, pid file and error log go there. */
  dir: string;
  port: number;
  /** Extra server options, such as a Galera node's `--wsrep-*`. */
  args?: string[];
  /** Options for this start only (Galera's `--wsrep-new-cluster`). */
  firstStartArgs?: string[];
  /** How long to wait for "ready for connections" (ms, default 120 s: a loaded machine, a Galera state transfer). */
  readyTimeoutMs?: number;
  /**
   * The system user the server runs as (default root). Galera's rsync state transfer needs one
   * that is not root: run by root, its rsync daemon writes as `nobody` (rsyncd.conf(5), uid).
   */
  user?: string;
}

export interface RunningMariaDb {
  dir: string;
  port: number;
  socket: string;
  /** Runs SQL as root over the socket; resolves with mariadb's tab-separated output. */
  sql(statement: string): Promise<string>;
  /** SIGTERM and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a power cut would. */
  kill(): Promise<void>;
  /** Starts again on the same datadir (extra options for this start only). */
  start(args?: string[]): Promise<void>;
  /** The server's error log so far. */
  log(): Promise<string>;
  readonly running: boolean;
}

const ready = /ready for connections/;

/** Creates the datadir (mariadb-install-db, root by socket only) and starts the server. */
export async function startMariaDb(options: MariaDbOptions): Promise<RunningMariaDb> {
  const { dir, port } = options;
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const errorLog = join(dir, 'error.log');
  // its own tmpdir: a starting mariadbd deletes the #sql* files it finds in its tmpdir, which in a
  // shared /tmp are the temporary tables of the other servers (mariadb-install-db failed with
  // "Unknown table 'mysql.tmp_user_sys'" when two ran at once)
  const tmpdir = join(dir, 'tmp');
  const user = options.user ?? 'root';
  await mkdir(tmpdir, { recursive: true });
  if (user !== 'root') await execa('chown', [user, dir, tmpdir]);
  await execa('mariadb-install-db', [
    '--no-defaults', `--datadir=${datadir}`, `--tmpdir=${tmpdir}`, `--user=${user}`, '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve',
  ], { env: { TMPDIR: tmpdir } }); // and for the client and tools it runs
  let child: ResultPromise | undefined;
  const readLog = () => readFile(errorLog, 'utf8').catch(() => '');

  const start = async (extra: string[] = []) => {
    const before = (await readLog()).length;
    child = execa('mariadbd', [
      '--no-defaults', `--datadir=${datadir}`, `--tmpdir=${tmpdir}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
      `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${errorLog}`, `--user=${user}`, '--skip-name-resolve',
      '--innodb-buffer-pool-size=64M', '--max-connections=200', ...(options.args ?? []), ...extra,
    ], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
    const started = child;
    const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
    while (!ready.test((await readLog()).slice(before))) {
      if (started.exitCode !== null) throw new Error(`mariadbd in ${dir} exited with ${started.exitCode}:\n${(await readLog()).slice(before).slice(-3000)}`);
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`mariadbd in ${dir} was not ready after ${(options.readyTimeoutMs ?? 120_000) / 1000} s:\n${(await readLog()).slice(before).slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    if (!child) return;
    const running = child;
    child = undefined;
    running.kill(signal);
    await running;
  };

  await start(options.firstStartArgs);
  return {
    dir, port, socket,
    async sql(statement) {
      const { stdout } = await execa('mariadb', ['--no-defaults', `--socket=${socket}`, '-u', 'root', '--batch', '--skip-column-names', '-e', statement]);
      return stdout;
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start,
    log: readLog,
    get running() {
      return child !== undefined;
    },
  };
}

/** A database and a user with a password that may use it from loopback and the socket. */
export async function createDatabaseUser(server: RunningMariaDb, options: { database: string; user: string; password: string }): Promise<void> {
  const password = options.password.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
  await server.sql([
    `CREATE DATABASE IF NOT EXISTS \`${options.database}\``,
    `CREATE USER IF NOT EXISTS '${options.user}'@'localhost' IDENTIFIED BY '${password}'`,
    `CREATE USER IF NOT EXISTS '${options.user}'@'127.0.0.1' IDENTIFIED BY '${password}'`,
    `GRANT ALL ON \`${options.database}\`.* TO '${options.user}'@'localhost'`,
    `GRANT ALL ON \`${options.database}\`.* TO '${options.user}'@'127.0.0.1'`,
  ].join(';\n'));
}
