/**
 * Real Kannel (Debian's bearerbox and smsbox) as the oracle of the smpp-relay differential
 * tests: started on a test's kannel.conf with its logs, access logs and message store moved
 * into a temporary directory, and stopped cleanly however the test ends.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { httpGet, pollLinks, sendsmsPath, sleep, type Gateway, type LinkState } from './gateway.js';

/** Where Debian's kannel package puts the boxes. */
export const BEARERBOX = '/usr/sbin/bearerbox';
export const SMSBOX = '/usr/sbin/smsbox';

export interface KannelOptions {
  /** A complete kannel.conf; its ports and passwords are used as they are. */
  conf: string;
  /** The directory for the conf, logs and store (made if missing, kept); a fresh temporary one, removed on stop, when absent. */
  dir?: string;
}

export interface RunningKannel extends Gateway {
  readonly kind: 'kannel';
  /** Where the conf, logs and store live. */
  readonly dir: string;
  /** Every log (bearerbox, smsbox, both access logs, stderr), each under a header; kept after stop. */
  logs(): Promise<string>;
}

/** What the helper needs from the conf. */
export interface KannelPorts { admin: number; smsbox: number; sendsms: number; password: string }

/** Settings the helper owns in each group: the files go to `dir`, and logs are at debug level for evidence. */
function overrides(dir: string): Record<string, string[]> {
  return {
    core: [`log-file = "${join(dir, 'bearerbox.log')}"`, 'log-level = 0', `access-log = "${join(dir, 'access.log')}"`,
      'store-type = file', `store-location = "${join(dir, 'store')}"`],
    smsbox: [`log-file = "${join(dir, 'smsbox.log')}"`, 'log-level = 0', `access-log = "${join(dir, 'smsbox-access.log')}"`],
  };
}

const settingKey = (line: string): string | undefined => /^\s*([\w-]+)\s*=/.exec(line)?.[1]?.toLowerCase();
const unquote = (value: string): string => value.trim().replace(/^"(.*)"$/, '$1');

/**
 * The conf with the helper's settings placed right after each `group = core|smsbox` line (and
 * the conf's own values for them dropped), plus the ports and password it declares.
 */
export function prepareKannelConf(conf: string, dir: string): { text: string; ports: KannelPorts } {
  const owned = overrides(dir);
  const values: Record<string, string> = {};
  let group: string | undefined;
  const lines: string[] = [];
  for (const line of conf.split('\n')) {
    const key = settingKey(line);
    if (line.trim() === '') group = undefined;
    if (key === 'group') {
      group = unquote(line.slice(line.indexOf('=') + 1));
      lines.push(line, ...(owned[group] ?? []));
      continue;
    }
    const own = group !== undefined && owned[group]?.some((setting) => settingKey(setting) === key);
    if (key !== undefined && (own || key === 'store-file')) continue;
    if (key !== undefined && group !== undefined) values[`${group}.${key}`] ??= unquote(line.slice(line.indexOf('=') + 1));
    lines.push(line);
  }
  const port = (name: string): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`kannel.conf: ${name} is missing or not a port (${values[name]})`);
    return value;
  };
  const password = values['core.admin-password'];
  if (password === undefined) throw new Error('kannel.conf: core.admin-password is missing (bearerbox refuses to start without it)');
  return { text: lines.join('\n'), ports: { admin: port('core.admin-port'), smsbox: port('core.smsbox-port'), sendsms: port('smsbox.sendsms-port'), password } };
}

/** Whether a TCP socket listens on `port` in this network namespace (no connection: drive_smpp quits on one). */
export async function isListening(port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    // columns: sl local_address rem_address st ...; st 0A is LISTEN
    if (rows.some((row) => { const [, local, , state] = row.trim().split(/\s+/); return local?.endsWith(hex) && state === '0A'; })) return true;
  }
  return false;
}

/** A child process and everything it wrote to stderr. */
export interface Tool { child: ResultPromise; output(): string; exited(): boolean }

/**
 * Starts `argv` with stderr kept in memory. setpriv --pdeathsig makes the kernel kill it when the
 * test process dies without its teardown (an ava timeout); execa's cleanup covers normal exits.
 * Not tools.ts' hasProgram: that imports ava, and benchmarks use this file outside ava.
 */
export function startTool(argv: string[]): Tool {
  const wrapped = existsSync('/usr/bin/setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--', ...argv] : argv;
  const child = execa(wrapped[0] ?? '', wrapped.slice(1), { reject: false, buffer: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  let output = '';
  let done = false;
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  void child.then(() => { done = true; });
  return { child, output: () => output, exited: () => done };
}

/** SIGTERM, then SIGKILL when the tool has not exited after `graceMs`. */
export async function stopTool(tool: Tool | undefined, graceMs = 10_000): Promise<void> {
  if (!tool || tool.exited()) return;
  tool.child.kill('SIGTERM');
  const timer = setTimeout(() => tool.child.kill('SIGKILL'), graceMs);
  await tool.child;
  clearTimeout(timer);
}

/** Polls until `port` listens; fails early with the tool's stderr when it exits (a PANIC). */
export async function waitForListening(tool: Tool, port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isListening(port))) {
    if (tool.exited() || Date.now() > deadline) {
      throw new Error(`${what} is not listening on port ${port} (${tool.exited() ? 'it exited' : `after ${timeoutMs} ms`}):\n${tool.output().slice(-3000)}`);
    }
    await sleep(50);
  }
}

/** Each smsc's admin-id and state from bearerbox's /status.xml ("online 12s" is online). */
export function parseLinkStates(statusXml: string): Record<string, LinkState> {
  const states: Record<string, LinkState> = {};
  for (const [, block = ''] of statusXml.matchAll(/<smsc>([\s\S]*?)<\/smsc>/g)) {
    const id = /<admin-id>(.*?)<\/admin-id>/.exec(block)?.[1];
    const status = /<status>(.*?)<\/status>/.exec(block)?.[1] ?? '';
    if (id !== undefined) states[id] = /^online\b/.test(status) ? 'online' : 'offline';
  }
  return states;
}

const LOG_FILES = ['bearerbox.log', 'smsbox.log', 'access.log', 'smsbox-access.log'];

/** Starts Kannel on `options.conf` and waits until smsbox is connected to bearerbox and serving sendsms. */
export async function startKannel(options: KannelOptions): Promise<RunningKannel> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'mcdebian-kannel-'));
  const { text, ports } = prepareKannelConf(options.conf, dir);
  const confPath = join(dir, 'kannel.conf');
  await mkdir(dir, { recursive: true });
  await writeFile(confPath, text);
  const boxes: Tool[] = [];
  let snapshot: string | undefined;
  const readLogs = async (): Promise<string> => {
    const files = await Promise.all(LOG_FILES.map(async (name) => `==> ${name} <==\n${await readFile(join(dir, name), 'utf8').catch(() => '(none)\n')}`));
    return [...files, ...boxes.map((box, i) => `==> ${i === 0 ? 'bearerbox' : 'smsbox'} stderr <==\n${box.output()}`)].join('\n');
  };
  const linkStates = async () => parseLinkStates((await statusXml(ports)).body);
  const stop = async (): Promise<void> => {
    // smsbox first: bearerbox then unbinds its links and stores what is still queued
    for (const box of [...boxes].reverse()) await stopTool(box);
    if (snapshot === undefined) snapshot = await readLogs();
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await startBoxes(confPath, ports, boxes);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${snapshot?.slice(-5000) ?? ''}`, { cause: error });
  }
  return {
    kind: 'kannel',
    dir,
    sendsms: (params) => httpGet(ports.sendsms, sendsmsPath(params)),
    linkStates,
    waitForLinks: (states, timeoutMs) => pollLinks(linkStates, states, timeoutMs),
    stop,
    logs: async () => snapshot ?? readLogs(),
  };
}

/** bearerbox, then smsbox once bearerbox takes boxes; `boxes` collects them so that a failure can stop what started. */
async function startBoxes(confPath: string, ports: KannelPorts, boxes: Tool[]): Promise<void> {
  // -v 2: warnings and panics on stderr; the full log goes to the log files
  const bearerbox = startTool([BEARERBOX, '-v', '2', confPath]);
  boxes.push(bearerbox);
  await waitForListening(bearerbox, ports.admin, 'bearerbox (admin-port)');
  await waitForListening(bearerbox, ports.smsbox, 'bearerbox (smsbox-port)');
  const smsbox = startTool([SMSBOX, '-v', '2', confPath]);
  boxes.push(smsbox);
  await waitForListening(smsbox, ports.sendsms, 'smsbox (sendsms-port)');
  // smsbox opens its HTTP port before it connects to bearerbox; a sendsms in between would race
  for (let attempt = 0; attempt < 200 && !smsbox.exited(); attempt++) {
    if ((await statusXml(ports).catch(() => undefined))?.body.includes('<type>smsbox</type>')) return;
    await sleep(50);
  }
  throw new Error(`smsbox did not connect to bearerbox:\n${smsbox.output().slice(-3000)}`);
}

function statusXml(ports: KannelPorts): Promise<{ status: number; body: string }> {
  return httpGet(ports.admin, `/status.xml?password=${encodeURIComponent(ports.password)}`);
}
