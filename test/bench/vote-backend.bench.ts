/**
 * vote-backend benchmark, one run, figures printed (never asserted):
 *   npm run bench:vote        (as root: mariadbd and nginx run as this user)
 * On loopback, the load generator (wrk, from Debian) on the same cores as the servers:
 *   1. nginx answering `return 204` (the ceiling for an HTTP server here), then the vote service
 *      (the compiled main.js with one worker per CPU, then one worker; a real MariaDB, fsync'd
 *      journal), at 64, 128 and 256 connections: answers/s, durable votes/s (202s), p50 and p99;
 *   2. votes/s into MariaDB by batch size: a backlog of BACKLOG_VOTES (default 200,000) taken
 *      while the database is stopped, then drained with batches of 100, 1,000 and 10,000;
 *   3. the time to drain a 1,000,000-vote backlog (DRAIN_VOTES) with the default batches.
 * SECONDS_PER_RUN (default 10) sets each wrk run. Files go in a temporary directory under
 * BENCH_DIR, default the current directory (os.tmpdir() may be a tmpfs, where fsync is free).
 */
import { mkdtemp, rm, statfs, writeFile, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../helpers/guest.js';
import { createDatabaseUser, startMariaDb, type RunningMariaDb } from '../overlays/vote-backend/helpers/mariadb.js';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 10);
const BACKLOG = Number(process.env.BACKLOG_VOTES ?? 200_000);
const DRAIN = Number(process.env.DRAIN_VOTES ?? 1_000_000);
const CONNECTIONS = [64, 128, 256];
const BATCH_SIZES = [100, 1000, 10_000];
const SERVICE = resolve('dist/overlays/vote-backend/app/main.js');

const POST_SCRIPT = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local choices = { "a", "b", "c" }
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"poll":"final","choice":"' .. choices[n % 3 + 1] .. '"}')
end
`;

interface WrkFigures { requests: number; non2xx: number; seconds: number; p50: string; p99: string; errors: string }

/** Runs wrk and reads its summary (`--latency` adds the percentiles). */
async function runWrk(url: string, options: { connections: number; seconds: number; script: string }): Promise<WrkFigures> {
  const { stdout } = await execa('wrk', ['-t2', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', options.script, url]);
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? 0);
  return {
    requests: number(/(\d+) requests in/),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
    seconds: Number(/requests in ([\d.]+)s/.exec(stdout)?.[1] ?? options.seconds),
    p50: /\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '?',
    p99: /\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '?',
    errors: /Socket errors: ([^\n]+)/.exec(stdout)?.[1] ?? 'none',
  };
}

const describeWrk = (label: string, connections: number, figures: WrkFigures, durable: boolean): string =>
  `  ${label.padEnd(18)} ${String(connections).padStart(3)} conns  ${(figures.requests / figures.seconds).toFixed(0).padStart(7)} answers/s` +
  (durable ? `  ${((figures.requests - figures.non2xx) / figures.seconds).toFixed(0).padStart(7)} durable votes/s` : '') +
  `  p50 ${figures.p50}, p99 ${figures.p99}  (non-2xx ${figures.non2xx}; socket errors: ${figures.errors})`;

/** nginx with one `return 204` location, in the foreground, as the ceiling. */
async function startNginx(dir: string, port: number): Promise<{ child: ResultPromise }> {
  await mkdir(join(dir, 'nginx'), { recursive: true });
  const conf = join(dir, 'nginx', 'nginx.conf');
  await writeFile(conf, `worker_processes auto;
pid ${join(dir, 'nginx', 'nginx.pid')};
error_log ${join(dir, 'nginx', 'error.log')};
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'nginx')};
  server { listen 127.0.0.1:${port} backlog=4096; location / { return 204; } }
}
`);
  const nginx = execa('nginx', ['-c', conf, '-p', join(dir, 'nginx'), '-g', 'daemon off;'], { reject: false, stdin: 'ignore' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).then((answer) => answer.status === 204, () => false)), 'nginx to answer', 30_000);
  // wrapped: an async function returning execa's promise would wait for nginx to exit
  return { child: nginx };
}

interface Service { port: number; child: ResultPromise; stop(): Promise<void> }

/** The vote service as the device runs it (its journal under dir). */
async function startService(dir: string, db: RunningMariaDb, options: { batch: number; workers?: number }): Promise<Service> {
  const port = await freePort();
  const journalDir = join(dir, `journal-${port}`);
  await mkdir(journalDir);
  await writeFile(join(dir, 'password'), 'bench-password\n', { mode: 0o600 });
  const config = {
    listen: { address: '127.0.0.1', port, backlog: 4096 }, workers: options.workers ?? 0,
    serverId: 'bench', journalDir, maxPendingVotes: Math.max(DRAIN, BACKLOG) * 2,
    batch: { intervalMs: 1000, maxVotes: options.batch },
    database: { endpoints: [{ socketPath: db.socket }], user: 'vote', database: 'votes', passwordFile: join(dir, 'password') },
    polls: [{ id: 'final', title: 'The final', choices: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }, { id: 'c', label: 'C' }] }],
    page: false,
  };
  const configPath = join(dir, `config-${port}.json`);
  await writeFile(configPath, JSON.stringify(config));
  // its log goes to a file: the database stopped on purpose makes it say so, many times
  const child = execa('node', [SERVICE, 'serve', '--config', configPath], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: { file: join(dir, `service-${port}.log`) } });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((answer) => answer.ok, () => false)), 'the vote service to answer', 60_000);
  return {
    port, child,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** A gauge or counter of the service's /metrics. */
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^mcdebian_vote_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Stops the database, posts votes until `votes` wait in the journal, starts it again and times
 * the drain: from the database answering, and from its first committed batch (the service
 * notices the database back within its retry wait, up to 10 s).
 */
async function timeDrain(db: RunningMariaDb, service: Service, script: string, votes: number): Promise<{ fromReady: number; fromFirstCommit: number; rate: number }> {
  await db.stop();
  const wrk = execa('wrk', ['-t2', '-c64', '-d3600s', '-s', script, `http://127.0.0.1:${service.port}/votes`], { reject: false });
  await waitFor(async () => (await metric(service.port, 'journal_pending_votes')) >= votes, `${votes} votes in the journal`, 3_600_000);
  wrk.kill('SIGTERM');
  await wrk;
  const backlog = await metric(service.port, 'journal_pending_votes');
  const committedBefore = await metric(service.port, 'committed_total');
  await db.start();
  const ready = performance.now();
  await waitFor(async () => (await metric(service.port, 'committed_total')) > committedBefore, 'the first batch', 600_000);
  const firstCommit = performance.now();
  await waitFor(async () => (await metric(service.port, 'journal_pending_votes')) === 0, 'the backlog to drain', 3_600_000);
  const done = performance.now();
  return { fromReady: (done - ready) / 1000, fromFirstCommit: (done - firstCommit) / 1000, rate: backlog / ((done - firstCommit) / 1000) };
}

async function main(): Promise<void> {
  const base = resolve(process.env.BENCH_DIR ?? '.');
  const dir = await mkdtemp(join(base, '.vote-bench-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const { type } = await statfs(dir);
    console.log(`vote-backend on loopback, ${availableParallelism()} CPUs, wrk -t2 on the same CPUs, ${SECONDS} s per run, files in ${base} (statfs type 0x${type.toString(16)}), node ${process.version}`);
    const script = join(dir, 'post.lua');
    await writeFile(script, POST_SCRIPT);
    await writeFile(join(dir, 'get.lua'), '');
    const db = await startMariaDb({ dir: join(dir, 'mariadb'), port: await freePort(), args: ['--innodb-buffer-pool-size=512M', '--innodb-log-file-size=256M'] });
    cleanups.push(() => db.stop());
    await createDatabaseUser(db, { database: 'votes', user: 'vote', password: 'bench-password' });
    console.log(`  MariaDB ${await db.sql('SELECT VERSION()')} (InnoDB, innodb_flush_log_at_trx_commit=1)`);

    console.log('1. answers under load');
    const nginxPort = await freePort();
    const nginx = await startNginx(dir, nginxPort);
    for (const connections of CONNECTIONS) console.log(describeWrk('nginx 204', connections, await runWrk(`http://127.0.0.1:${nginxPort}/`, { connections, seconds: SECONDS, script: join(dir, 'get.lua') }), false));
    nginx.child.kill('SIGQUIT');
    await nginx.child;
    // one worker per CPU is the default; one worker alone shows what the cluster costs or gains
    for (const workers of [availableParallelism(), 1]) {
      const service = await startService(dir, db, { batch: 10_000, workers });
      const label = `votes, ${workers} worker${workers === 1 ? '' : 's'}`;
      for (const connections of CONNECTIONS) console.log(describeWrk(label, connections, await runWrk(`http://127.0.0.1:${service.port}/votes`, { connections, seconds: SECONDS, script }), true));
      await waitFor(async () => (await metric(service.port, 'journal_pending_votes')) === 0, 'the votes to reach the database', 600_000);
      await service.stop();
    }

    console.log(`2. votes/s into MariaDB by batch size (a backlog of ${BACKLOG} drained)`);
    for (const batch of BATCH_SIZES) {
      const drainer = await startService(dir, db, { batch });
      const figures = await timeDrain(db, drainer, script, BACKLOG);
      console.log(`  batches of ${String(batch).padStart(6)}  ${figures.rate.toFixed(0).padStart(7)} votes/s  (${figures.fromFirstCommit.toFixed(1)} s from the first batch)`);
      await drainer.stop();
    }

    console.log(`3. a backlog of ${DRAIN} votes`);
    const drainer = await startService(dir, db, { batch: 10_000 });
    const figures = await timeDrain(db, drainer, script, DRAIN);
    console.log(`  drained in ${figures.fromFirstCommit.toFixed(1)} s from the first batch (${figures.rate.toFixed(0)} votes/s), ${figures.fromReady.toFixed(1)} s from the database answering`);
    await drainer.stop();
    console.log(`  rows in the table: ${await db.sql('SELECT COUNT(*) FROM votes.votes')}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
