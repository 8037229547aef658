/**
 * The device's `mcdebian-vpn-azure`, bundled into one file for Debian's nodejs:
 *   main.mjs status [--json] [--tunnels FILE]
 * prints each tunnel's IKE and CHILD state, the negotiated proposals, bytes and packets, the last
 * rekey, its XFRM interface's routes, and why it is down when it is. Exit 0 when every tunnel is
 * up, 3 when some tunnel is down, 1 when charon cannot be reached. Final errors: service-main.ts.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Log } from '../../runtime/service-log.js';
import { ConfigError, runServiceMain, UsageError } from '../../runtime/service-main.js';
import { lastFailure, type FailureReason } from './charon-log.js';
import { parseListConns, parseListSas } from './charon-state.js';
import { describeStatus } from './describe-status.js';
import { exitCodeOf, vpnStatusOf, type Observations } from './tunnel-status.js';
import { TUNNELS_FILE, type TunnelsFile } from './tunnels-file.js';

const USAGE = `usage: main.mjs status [--json] [--tunnels FILE]
--tunnels defaults to ${TUNNELS_FILE}`;

/** Journal lines read for the reasons: a day of a flapping tunnel, bounded. */
const JOURNAL_LINES = 2000;
/** Every tool is bounded: a wedged charon must not hang `mcdebian status`. */
const TOOL_TIMEOUT_MS = 15_000;

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runTool(file: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error && typeof error.code !== 'number' ? error.message : '') });
    });
  });
}

async function readTunnels(file: string): Promise<TunnelsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}; the image's vpn-azure overlay writes it`);
  }
  const parsed = JSON.parse(text) as Partial<TunnelsFile>;
  if (!Array.isArray(parsed.tunnels)) throw new ConfigError(`${file} has no tunnels list`);
  return parsed as TunnelsFile;
}

/** What a tool said went wrong: swanctl prints plugin warnings before, and its usage after, its "Error:" line. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines.findLast((line) => line.startsWith('Error: ')) ?? lines.at(-1) ?? '';
}

async function readRoutes(file: TunnelsFile): Promise<Observations['routes']> {
  const interfaces = file.tunnels.flatMap((tunnel) => (tunnel.xfrm ? [tunnel.xfrm.interface] : []));
  const entries = await Promise.all(interfaces.map(async (name): Promise<[string, { dst: string }[] | Error]> => {
    const result = await runTool('ip', ['-j', 'route', 'show', 'dev', name]);
    if (result.code !== 0) return [name, new Error(lastLine(result.stderr) || `ip exited ${result.code}`)];
    return [name, JSON.parse(result.stdout || '[]') as { dst: string }[]];
  }));
  return new Map(entries);
}

async function readReasons(file: TunnelsFile): Promise<Map<string, FailureReason>> {
  const journal = await runTool('journalctl', ['-u', 'strongswan.service', '-o', 'json', '--output-fields=MESSAGE,IKE_SA_NAME,IKE_SA_UNIQUE_ID', '-n', String(JOURNAL_LINES), '--no-pager']);
  return new Map(file.tunnels.flatMap((tunnel) => {
    const reason = lastFailure(journal.stdout, tunnel);
    return reason ? [[tunnel.name, reason] as const] : [];
  }));
}

async function status(options: { json: boolean; tunnels: string }, log: Log): Promise<number> {
  const file = await readTunnels(options.tunnels);
  const [sas, conns] = await Promise.all([runTool('swanctl', ['--list-sas', '--noblock', '--pretty']), runTool('swanctl', ['--list-conns', '--pretty'])]);
  const failed = [sas, conns].find((result) => result.code !== 0);
  if (failed) {
    const error = `charon cannot be reached over vici: swanctl exited ${failed.code}: ${lastLine(failed.stderr)}`;
    const hint = 'check: systemctl status strongswan; journalctl -u strongswan';
    if (options.json) process.stdout.write(`${JSON.stringify({ error, hint })}\n`);
    else log.error(`${error}\n${hint}`);
    return 1;
  }
  const observed: Observations = { now: Math.floor(Date.now() / 1000), sas: parseListSas(sas.stdout), conns: parseListConns(conns.stdout), routes: await readRoutes(file), reasons: new Map() };
  let report = vpnStatusOf(file, observed);
  if (report.tunnels.some((tunnel) => !tunnel.up)) report = vpnStatusOf(file, { ...observed, reasons: await readReasons(file) });
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : describeStatus(report));
  return exitCodeOf(report);
}

async function run(argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, tunnels: { type: 'string', default: TUNNELS_FILE } } });
  if (positionals.length !== 1 || positionals[0] !== 'status') throw new UsageError(`unknown command or arguments: ${positionals.join(' ') || '(none)'}`);
  return status({ json: values.json, tunnels: values.tunnels }, log);
}

await runServiceMain(run, USAGE);
