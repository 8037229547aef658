/**
 * The vote service as the device runs it, for the integration tests: the compiled main.js
 * (`serve --config FILE`) in a child process of its own process group (the primary and its
 * workers, so that a test can kill -9 them all at once, as a power cut or `systemctl kill -s
 * KILL` would), on a JSON config and password file this helper writes. Starts wait for the
 * service's own "taking votes on" line; everything it writes is kept for the test's messages.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { freePort } from '../../../helpers/guest.js';

const MAIN = fileURLToPath(new URL('../../../../overlays/vote-backend/app/main.js', import.meta.url));
const READY = /taking votes on \S+ \(\d+ workers?\)/g;

/** The poll the tests vote in unless they give their own. */
export const FINAL_POLL = { id: 'final', title: 'The final', choices: [{ id: 'a', label: 'Alpha' }, { id: 'b', label: 'Bravo' }, { id: 'c', label: 'Charlie' }] };

export interface VoteServiceOptions {
  /** The service's directory: config, password file and journals go here. */
  dir: string;
  /** The config's `database` section without the password file, and the password to write into it. */
  database: { endpoints: unknown[]; user: string; database: string; password: string; tls?: { caFile?: string } | null; connectTimeoutMs?: number };
  /** Fields of the config over the defaults (2 workers, batches every 200 ms, the poll "final"). */
  config?: Record<string, unknown>;
  /** How long a start may take to say it takes votes (default 60 s). */
  startTimeoutMs?: number;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface RunningVoteService {
  readonly port: number;
  readonly url: string;
  readonly journalDir: string;
  /** The primary's pid while it runs. */
  readonly pid: number | undefined;
  /** Everything the service wrote, on both streams, from every start. */
  output(): string;
  /** Resolves with the first match of `pattern` written after character `from` of output(). */
  waitForOutput(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpExecArray>;
  /** The pids of the primary's children (its workers). */
  workerPids(): Promise<number[]>;
  /** A GET of `path`, its body parsed as JSON when it is. */
  get(path: string): Promise<Answer & { text: string }>;
  /** One sample of /metrics, by its name without the mcdebian_vote_ prefix (labels included when given). */
  metric(name: string): Promise<number>;
  /** SIGKILL to the whole process group; resolves once no process of it is left. */
  killAll(): Promise<void>;
  /** SIGTERM to the primary and waits for it (and its workers) to exit; resolves with its exit code (undefined when it was not running or needed SIGKILL). */
  stop(): Promise<number | undefined>;
  /** Starts it again on the same journals (and config, unless rewritten). */
  start(): Promise<void>;
  /** Rewrites the config with these fields over the last ones, for the next start. */
  reconfigure(fields: Record<string, unknown>): Promise<void>;
}

/** The config file's contents. */
export function voteConfig(options: VoteServiceOptions & { port: number; journalDir: string; passwordFile: string }): Record<string, unknown> {
  const { password: _password, ...database } = options.database;
  return {
    listen: { address: '127.0.0.1', port: options.port, backlog: 1024 },
    workers: 2,
    serverId: 'test',
    journalDir: options.journalDir,
    batch: { intervalMs: 200, maxVotes: 1000 },
    database: { ...database, passwordFile: options.passwordFile },
    polls: [FINAL_POLL],
    page: true,
    ...options.config,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether any process is left in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Writes the config and starts the service; it is killed when the test ends, whatever happened. */
export async function startVoteService(t: ExecutionContext, options: VoteServiceOptions): Promise<RunningVoteService> {
  const port = await freePort();
  const journalDir = join(options.dir, 'journal');
  const passwordFile = join(options.dir, 'password');
  const configPath = join(options.dir, 'config.json');
  await mkdir(journalDir, { recursive: true });
  await writeFile(passwordFile, `${options.database.password}\n`, { mode: 0o600 });
  let config = voteConfig({ ...options, port, journalDir, passwordFile });
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ResultPromise | undefined;

  const waitForOutput = async (pattern: RegExp, waitOptions: { from?: number; timeoutMs?: number } = {}) => {
    const deadline = Date.now() + (waitOptions.timeoutMs ?? 30_000);
    const search = new RegExp(pattern.source, pattern.flags.replace('g', ''));
    for (;;) {
      const match = search.exec(output.slice(waitOptions.from ?? 0));
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`the vote service did not write ${pattern} within ${(waitOptions.timeoutMs ?? 30_000) / 1000} s; it wrote:\n${output.slice(-4000)}`);
      await sleep(50);
    }
  };

  const start = async () => {
    const from = output.length;
    // its own process group (detached), so that killAll reaches the workers too; setpriv's
    // parent-death signal ends the primary should the test process itself die
    const argv = ['node', MAIN, 'serve', '--config', configPath];
    const wrapped = existsSync('/usr/bin/setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--', ...argv] : argv;
    // no forceKillAfterDelay: execa would SIGKILL the primary 5 s after a SIGTERM, while it still stops its workers
    const started = execa(wrapped[0]!, wrapped.slice(1), { reject: false, buffer: false, stdin: 'ignore', all: true, detached: true, forceKillAfterDelay: false });
    child = started;
    started.all?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = started.then(() => 'exited' as const);
    const ready = waitForOutput(READY, { from, timeoutMs: options.startTimeoutMs ?? 60_000 }).then(() => 'ready' as const);
    if (await Promise.race([ready, exited]) === 'exited') throw new Error(`the vote service exited with ${started.exitCode ?? started.signalCode}:\n${output.slice(from).slice(-4000)}`);
  };

  const killAll = async () => {
    const running = child;
    child = undefined;
    if (!running?.pid) return;
    const pgid = running.pid;
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    await running;
    const deadline = Date.now() + 30_000;
    while (groupAlive(pgid)) {
      if (Date.now() > deadline) throw new Error(`process group ${pgid} was still there 30 s after SIGKILL`);
      await sleep(20);
    }
  };

  const stop = async (): Promise<number | undefined> => {
    const running = child;
    if (!running?.pid || running.exitCode !== null) {
      await killAll();
      return undefined;
    }
    running.kill('SIGTERM');
    const timer = setTimeout(() => void killAll(), 40_000);
    const { exitCode } = await running;
    clearTimeout(timer);
    await killAll();
    return exitCode;
  };

  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: /metrics, the page
    }
    return { status: response.status, headers: response.headers, body, text };
  };

  t.teardown(killAll);
  await start();
  return {
    port, url, journalDir,
    get pid() {
      return child?.pid;
    },
    output: () => output,
    waitForOutput,
    async workerPids() {
      const primary = child?.pid;
      if (primary === undefined) return [];
      const pids: number[] = [];
      for (const name of await readdir('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
        // the fields after the command name (which may hold spaces and parentheses): state, ppid
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === primary) pids.push(Number(name));
      }
      return pids.sort((a, b) => a - b);
    },
    get,
    async metric(name) {
      const { text } = await get('/metrics');
      const escaped = `mcdebian_vote_${name}`.replace(/[{}"\\.]/g, (char) => `\\${char}`);
      const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
      if (!match) throw new Error(`/metrics has no ${name}:\n${text}`);
      return Number(match[1]);
    },
    killAll,
    stop,
    start,
    async reconfigure(fields) {
      config = { ...config, ...fields };
      await writeFile(configPath, JSON.stringify(config, null, 2));
    },
  };
}

/** The results endpoint's counts of a poll as { choice: votes } without the zeros, as a GROUP BY of the table gives them. */
export async function resultCounts(service: RunningVoteService, poll: string): Promise<Record<string, number>> {
  const { body } = await service.get(`/polls/${poll}/results`);
  const counts = body.counts as { choice: string; votes: number }[];
  return Object.fromEntries(counts.filter((row) => row.votes > 0).map((row) => [row.choice, row.votes]));
}

/** POSTs a vote as JSON; rejects when the connection fails. */
export async function postVote(url: string, vote: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}/votes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(vote),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> };
}

/** Waits until `condition` holds, checking every 100 ms; the error says what it waited for and the last value seen. */
export async function waitUntil<T>(what: string, read: () => Promise<T>, condition: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (condition(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = JSON.stringify(last) ?? 'nothing';
      throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s; last seen: ${seen.length > 400 ? `${seen.slice(0, 400)}...` : seen}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(100);
  }
}
