/**
 * `mcdebian boot --stop` and `--status`: the guests `boot --detach` started. Stop asks the guest
 * to power off (QEMU's `system_powerdown`: ACPI on x86-64, the virt machine's GPIO power key on
 * qemu-armhf), quits QEMU when it has not within the grace period, kills it as a last resort,
 * then removes the run directory.
 */
import { getBoard } from '../../board/index.js';
import { isGuestAlive, listGuestRuns, readGuestRun, removeRunDir, runDirOf, type DetachedGuest, type GuestRun } from '../boot-runs.js';
import { loadConfig } from '../config/load.js';
import { writeJson, type CommandContext, type ExitCode } from '../core/command.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { sendMonitorCommand } from '../qemu-monitor.js';

/** How a guest ended: it powered off, QEMU was told to quit, QEMU was killed, or it had already exited. */
export type StopOutcome = 'powered-off' | 'quit' | 'killed' | 'had-exited';

const MONITOR_MS = 10_000;
/** After `quit` or SIGKILL: QEMU closes its files and goes. */
const QUIT_MS = 15_000;
const POLL_MS = 250;

/** Waits until the guest's QEMU has gone; false when it is still there after `ms`. */
async function waitForExit(guest: DetachedGuest, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (await isGuestAlive(guest)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

async function powerOff(guest: DetachedGuest, options: { graceSeconds: number; logger: Logger }): Promise<StopOutcome> {
  const ask = (command: string) => sendMonitorCommand(guest.monitor, command, { timeoutMs: MONITOR_MS }).catch((error: Error) => {
    options.logger.warn(`${command}: ${error.message}`);
  });
  await ask('system_powerdown');
  options.logger.info(`asked ${guest.board} to power off; waiting up to ${options.graceSeconds} s`);
  if (await waitForExit(guest, options.graceSeconds * 1000)) return 'powered-off';
  options.logger.warn(`${guest.board} did not power off within ${options.graceSeconds} s; quitting QEMU`);
  await ask('quit');
  if (await waitForExit(guest, QUIT_MS)) return 'quit';
  process.kill(guest.pid!, 'SIGKILL');
  if (await waitForExit(guest, QUIT_MS)) return 'killed';
  throw new UserError(`QEMU (pid ${guest.pid}) of ${guest.board} survived SIGKILL`, { hint: `see ps -p ${guest.pid}; its run directory is kept` });
}

/** The board --stop means: --board as given (checked against the boards), else the config's. */
async function boardToStop(context: CommandContext, options: { board?: string; config?: string }): Promise<string> {
  if (options.board !== undefined && options.config === undefined) return getBoard(options.board).id;
  return (await loadConfig({ file: options.config, board: options.board, cwd: context.cwd })).board.id;
}

export async function runStop(context: CommandContext, options: { board?: string; config?: string; graceSeconds: number; json: boolean }): Promise<ExitCode> {
  const board = await boardToStop(context, options);
  const dir = runDirOf(context.env, board);
  const run = await readGuestRun(dir);
  if (!run) throw new UserError(`no ${board} guest runs in the background (nothing in ${dir})`, { hint: 'mcdebian boot --status lists the guests that run' });
  if (run.alive && run.guest.pid === undefined) {
    throw new UserError(`${board} is still being started by mcdebian (pid ${run.guest.starterPid})`, { hint: `wait until that command returns, or interrupt it (kill -INT ${run.guest.starterPid}), which stops the guest` });
  }
  const outcome: StopOutcome = run.alive ? await powerOff(run.guest, { graceSeconds: options.graceSeconds, logger: context.logger }) : 'had-exited';
  await removeRunDir(dir);
  if (options.json) writeJson(context, { board, pid: run.guest.pid, outcome, runDir: dir });
  else context.stdout.write(`${board}: ${describeOutcome(outcome)}; removed ${dir}\n`);
  return 0;
}

function describeOutcome(outcome: StopOutcome): string {
  switch (outcome) {
    case 'powered-off': return 'powered off';
    case 'quit': return 'did not power off in time, QEMU quit';
    case 'killed': return 'QEMU did not quit and was killed';
    case 'had-exited': return 'QEMU had already exited';
  }
}

/** One guest as --status shows it. */
function statusOf(run: GuestRun) {
  const { guest } = run;
  const state = !run.alive ? 'exited' : guest.pid === undefined ? 'starting' : 'running';
  return { board: guest.board, state, pid: guest.pid, sshPort: guest.sshPort, forwards: guest.forwards, links: guest.links ?? [], startedAt: guest.startedAt, config: guest.config, runDir: run.dir, consoleLog: guest.consoleLog };
}

export async function runStatus(context: CommandContext, options: { json: boolean }): Promise<ExitCode> {
  const guests = (await listGuestRuns(context.env)).map(statusOf);
  if (options.json) {
    writeJson(context, guests);
    return 0;
  }
  if (guests.length === 0) {
    context.stdout.write('no guests run in the background (mcdebian boot --detach starts one)\n');
    return 0;
  }
  const rows = [['BOARD', 'STATE', 'PID', 'SSH', 'FORWARDS', 'SINCE'], ...guests.map((guest) => [
    guest.board, guest.state, String(guest.pid ?? '-'), `127.0.0.1:${guest.sshPort}`,
    guest.forwards.map((f) => `${f.protocol}:${f.hostPort}->${f.guestPort}`).join(',') || '-', guest.startedAt,
  ])];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  context.stdout.write(rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n');
  if (guests.some((guest) => guest.state === 'exited')) context.stdout.write('an exited guest\'s run directory goes with mcdebian boot --stop --board ID\n');
  return 0;
}
