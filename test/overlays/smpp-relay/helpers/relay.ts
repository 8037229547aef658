/**
 * The relay as the device runs it: its command line (`main.js serve`) in a child process, on a
 * kannel.conf the test writes, so the differential tests drive it and Kannel the same way
 * (gateway.ts) and the crash test can kill it for real.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKannelConf } from '../../../../overlays/smpp-relay/app/settings.js';
import type { RelayStatus } from '../../../../overlays/smpp-relay/app/status.js';
import { httpGet, pollLinks, sendsmsPath, sleep, type Gateway, type LinkState } from './gateway.js';
import { isListening } from './kannel.js';

const MAIN = fileURLToPath(new URL('../../../../overlays/smpp-relay/app/main.js', import.meta.url));

export interface RunningRelay extends Gateway {
  readonly dir: string;
  readonly storePath: string;
  readonly ports: { sendsms: number; admin: number };
  status(): Promise<RelayStatus>;
  /** Everything the relay wrote, from every start. */
  logs(): string;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same config and store. */
  restart(): Promise<void>;
}

/**
 * Runs `serve` on `conf` in `dir` (store `dir/store.journal`) for a relay expected to stop by
 * itself (a store it cannot open): its exit code and output; killed after 30 s.
 */
export async function runRelayToExit(options: { conf: string; dir: string }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const confPath = join(options.dir, 'kannel.conf');
  await writeFile(confPath, options.conf);
  const result = await execa('node', [MAIN, 'serve', '--config', confPath, '--store', join(options.dir, 'store.journal')], { reject: false, stdin: 'ignore', timeout: 30_000 });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Starts the relay on `conf` (a kannel.conf text) in `dir` (a temporary one by default). */
export async function startRelay(options: { conf: string; dir?: string; env?: Record<string, string> }): Promise<RunningRelay> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'mcdebian-relay-'));
  await mkdir(dir, { recursive: true });
  const confPath = join(dir, 'kannel.conf');
  const storePath = join(dir, 'store.journal');
  await writeFile(confPath, options.conf);
  const { settings, issues } = loadKannelConf(confPath);
  if (!settings) throw new Error(`the test's kannel.conf is refused: ${JSON.stringify(issues.filter((issue) => issue.severity === 'error'))}`);
  const ports = { sendsms: settings.smsbox.sendsmsPort, admin: settings.core.adminPort };
  const password = settings.core.adminPassword ?? settings.core.statusPassword;
  let output = '';
  let child: ResultPromise | undefined;

  const start = async () => {
    const argv = ['node', MAIN, 'serve', '--config', confPath, '--store', storePath];
    const wrapped = existsSync('/usr/bin/setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--', ...argv] : argv;
    child = execa(wrapped[0]!, wrapped.slice(1), { reject: false, buffer: false, stdin: 'ignore', all: true, env: options.env });
    const running = child;
    running.all?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const deadline = Date.now() + 60_000;
    while (!(await isListening(ports.sendsms)) || !(await isListening(ports.admin))) {
      if (running.exitCode !== null || Date.now() > deadline) throw new Error(`the relay did not start:\n${output.slice(-3000)}`);
      await sleep(50);
    }
  };
  const stopChild = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await running;
    clearTimeout(timer);
  };
  const status = async (): Promise<RelayStatus> => {
    const response = await httpGet(ports.admin, `/status.json${password ? `?password=${encodeURIComponent(password)}` : ''}`);
    if (response.status !== 200) throw new Error(`status answered ${response.status}: ${response.body}`);
    return JSON.parse(response.body) as RelayStatus;
  };
  const linkStates = async () => Object.fromEntries((await status()).links.map((link): [string, LinkState] => [link.name, link.state === 'bound' && link.health.state !== 'out' ? 'online' : 'offline']));

  await start();
  return {
    kind: 'relay',
    dir,
    storePath,
    ports,
    sendsms: (params) => httpGet(ports.sendsms, sendsmsPath(params)),
    linkStates,
    waitForLinks: (states, timeoutMs) => pollLinks(linkStates, states, timeoutMs),
    status,
    logs: () => output,
    kill: () => stopChild('SIGKILL'),
    restart: async () => {
      await stopChild('SIGTERM');
      await start();
    },
    stop: async () => {
      await stopChild('SIGTERM');
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
