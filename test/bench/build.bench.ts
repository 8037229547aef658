/**
 * Build and boot benchmark, one run, figures printed (never asserted; these machines are noisy):
 *   npm run bench
 * - a cold build of qemu-armhf against bare mmdebstrap with the same package set (goal <= 1.3x)
 * - a rebuild after changing only the hostname (goal < 20 s)
 * - boot to SSH login and to `systemctl is-system-running` under TCG, qemu-armhf and x86-64
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../../build/pipeline.js';
import { bootGuest, makeWorkspace, removeWorkspace, runCliIn, writeConfig, type Workspace } from '../helpers/guest.js';

const seconds = (started: number) => (Date.now() - started) / 1000;

async function timed<T>(what: string, action: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  process.stderr.write(`bench: ${what}...\n`);
  const started = Date.now();
  const value = await action();
  return { value, seconds: seconds(started) };
}

async function mustSucceed(workspace: Workspace, args: string[]): Promise<string> {
  const result = await runCliIn(workspace, args);
  if (result.exitCode !== 0) throw new Error(`mcdebian ${args.join(' ')} failed:\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}

/** The plan's own mmdebstrap command, writing to a scratch file instead of the cache. */
async function bareMmdebstrap(workspace: Workspace, config: string): Promise<number> {
  const plan = JSON.parse(await mustSucceed(workspace, ['plan', '-c', config, '--json', '--offline'])) as Plan;
  const argv = plan.steps[0]!.commands[0]!.argv;
  const scratch = await mkdtemp(join(tmpdir(), 'bench-mmdebstrap-'));
  const output = argv.indexOf(plan.paths.base);
  argv[output] = join(scratch, 'base.tar');
  const { seconds: took } = await timed('bare mmdebstrap', () => execa(argv[0]!, argv.slice(1), { env: { SOURCE_DATE_EPOCH: '1700000000' }, stdin: 'ignore' }));
  await rm(scratch, { recursive: true, force: true });
  return took;
}

async function bootFigures(workspace: Workspace, config: string): Promise<{ login: number; running: number; analyze: string }> {
  const started = Date.now();
  const guest = await bootGuest(workspace, config, { minutes: 15 });
  const login = seconds(started);
  await guest.run('systemctl is-system-running --wait');
  const running = seconds(started);
  const analyze = (await guest.run('systemd-analyze')).stdout.split('\n')[0] ?? '';
  await guest.powerOff();
  return { login, running, analyze };
}

async function main(): Promise<void> {
  const cache = await mkdtemp(join(tmpdir(), 'bench-cache-'));
  const workspace = await makeWorkspace(cache);
  const arm = await writeConfig(workspace, 'arm', ['board: qemu-armhf', 'hostname: bench-1']);
  const bare = await bareMmdebstrap(workspace, arm);
  const cold = await timed('cold build of qemu-armhf', () => mustSucceed(workspace, ['build', '-c', arm]));
  await writeConfig(workspace, 'arm', ['board: qemu-armhf', 'hostname: bench-2']);
  const rebuild = await timed('rebuild after a hostname change', () => mustSucceed(workspace, ['build', '-c', arm]));
  const armBoot = await bootFigures(workspace, arm);
  const x86 = await writeConfig(workspace, 'x86', ['board: x86-64', 'hostname: bench-x86']);
  const x86Build = await timed('cold build of x86-64', () => mustSucceed(workspace, ['build', '-c', x86]));
  const x86Boot = await bootFigures(workspace, x86);
  await removeWorkspace(workspace);
  const rows = [
    ['bare mmdebstrap, same package set (armhf)', `${bare.toFixed(1)} s`],
    ['cold mcdebian build qemu-armhf', `${cold.seconds.toFixed(1)} s (${(cold.seconds / bare).toFixed(2)}x mmdebstrap; goal <= 1.3x)`],
    ['rebuild after a hostname change', `${rebuild.seconds.toFixed(1)} s (goal < 20 s)`],
    ['qemu-armhf boot to SSH login (TCG)', `${armBoot.login.toFixed(1)} s; running at ${armBoot.running.toFixed(1)} s; ${armBoot.analyze}`],
    ['cold mcdebian build x86-64', `${x86Build.seconds.toFixed(1)} s`],
    ['x86-64 boot to SSH login (TCG, OVMF)', `${x86Boot.login.toFixed(1)} s; running at ${x86Boot.running.toFixed(1)} s; ${x86Boot.analyze}`],
  ];
  const width = Math.max(...rows.map(([name]) => name!.length));
  for (const [name, value] of rows) process.stdout.write(`${name!.padEnd(width)}  ${value}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
