/**
 * charon-systemd in a test's network namespace, with its own strongswan.conf (strongswan-conf.ts):
 * started and known to be ready when its vici socket answers, stopped with SIGTERM and, past a
 * generous deadline, SIGKILL; stopped when the test ends whatever happens.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { execa, type ResultPromise } from 'execa';
import { spawnIn, type Teardown } from './netns.js';
import { instancePaths, strongswanConf, type InstancePaths } from './strongswan-conf.js';
import { waitFor } from './wait.js';

export const CHARON = '/usr/sbin/charon-systemd';
export const SWANCTL = '/usr/sbin/swanctl';

/** A running charon. */
export interface Charon {
  ns: string;
  /** Its directory: strongswan.conf, charon.log, charon.vici. */
  dir: string;
  paths: InstancePaths;
  /** The settings added to its strongswan.conf, if any. */
  settings?: string;
  process: ResultPromise;
}

/** swanctl against this charon (its socket comes from the instance's strongswan.conf). */
export function swanctl(charon: Charon, args: readonly string[], options: { reject?: boolean } = {}): ResultPromise {
  return execa(SWANCTL, args, { env: { STRONGSWAN_CONF: charon.paths.conf }, reject: options.reject ?? true });
}

const running = (charon: Charon) => charon.process.exitCode === null && charon.process.signalCode === null;

/**
 * Starts charon in `ns` with its files in `dir` (made if missing; its log is appended to);
 * `settings` (strongswan.conf text, such as a rendered strongswan.d file) are added to its config.
 */
export async function startCharon(t: Teardown, options: { ns: string; dir: string; settings?: string; readyTimeoutMs?: number }): Promise<Charon> {
  await mkdir(options.dir, { recursive: true });
  const paths = instancePaths(options.dir);
  await writeFile(paths.conf, strongswanConf(options.dir, options.settings));
  const process = spawnIn(options.ns, [CHARON], { env: { STRONGSWAN_CONF: paths.conf }, all: true, buffer: true });
  const charon: Charon = { ns: options.ns, dir: options.dir, paths, settings: options.settings, process };
  t.teardown(() => stopCharon(charon));
  await waitFor(async () => {
    if (!running(charon)) throw new Error(`charon-systemd in ${options.ns} exited: ${(await process).all}`);
    return (await swanctl(charon, ['--stats'], { reject: false })).exitCode === 0;
  }, { what: `charon's vici socket ${paths.socket} to answer`, timeoutMs: options.readyTimeoutMs ?? 60_000 });
  return charon;
}

/** SIGTERM, then SIGKILL if charon has not exited within `graceMs`; resolves once it has exited. */
export async function stopCharon(charon: Charon, options: { graceMs?: number } = {}): Promise<void> {
  if (!running(charon)) return;
  // `ip netns exec` execs charon, so the child's pid is charon's own
  charon.process.kill('SIGTERM');
  const timer = setTimeout(() => charon.process.kill('SIGKILL'), options.graceMs ?? 30_000);
  try {
    await charon.process;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILL: charon dies without a word to its peers (no DELETE), as a crashed or powered-off gateway. */
export async function killCharon(charon: Charon): Promise<void> {
  if (!running(charon)) return;
  charon.process.kill('SIGKILL');
  await charon.process;
}

/** Stops charon and starts it again in the same namespace with the same files (its config must be loaded again). */
export async function restartCharon(t: Teardown, charon: Charon): Promise<Charon> {
  await stopCharon(charon);
  return startCharon(t, { ns: charon.ns, dir: charon.dir, settings: charon.settings });
}

/** charon's log so far. */
export const readLog = (charon: Charon) => readFile(charon.paths.log, 'utf8').catch(() => '');

/** The first log line matching `pattern`, once there is one. */
export function waitForLog(charon: Charon, pattern: RegExp, options: { timeoutMs?: number } = {}): Promise<string> {
  return waitFor(async () => (await readLog(charon)).split('\n').find((line) => pattern.test(line)), { what: `a line matching ${pattern} in ${charon.paths.log}`, timeoutMs: options.timeoutMs });
}
