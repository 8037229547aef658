/**
 * What `mcdebian boot` does before QEMU starts, attached or detached: find the build, and check
 * that every host port it forwards or binds for a --link is free, naming the flag that asked for a taken one.
 */
import { join } from 'node:path';
import type { Board } from '../../board/board.js';
import type { PortForward } from '../boot.js';
import type { GuestLink } from '../guest-link.js';
import { listGuestRuns, type GuestRun } from '../boot-runs.js';
import { loadConfig } from '../config/load.js';
import { UsageError, type CommandContext } from '../core/command.js';
import { checkBootable } from '../guest-disks.js';
import { checkHostPorts, hostPortsOf, type PortProblem } from '../host-ports.js';

/** How `mcdebian boot` was asked to run a guest. */
export interface BootOptions {
  board?: string;
  config?: string;
  sshPort: number;
  /** More guest ports forwarded to the host's loopback (the overlays' services). */
  forwards: PortForward[];
  /** More NICs, each on a UDP tunnel to another guest's --link (guest-link.ts). */
  links: GuestLink[];
  /** qemu-armhf: keep the flash stand-in in this file, made from the build when it does not exist. */
  flashDisk?: string;
  /** QEMU's monitor on this unix socket (`system_reset` power-cycles the guest). */
  monitor?: string;
  /** The console on this unix socket instead of the terminal (mcdebian flash tftp --serial unix:PATH). */
  serialSocket?: string;
}

/** The board and its build, checked bootable, with every host port checked free. */
export interface BootTarget {
  board: Board;
  /** out/<board> beside the config. */
  out: string;
  /** The config's absolute path, when -c named one. */
  configFile?: string;
}

export async function prepareBootTarget(context: CommandContext, options: BootOptions): Promise<BootTarget> {
  const config = await loadConfig({ file: options.config, board: options.board, cwd: context.cwd });
  const out = join(config.dir, config.output, config.board.id);
  await checkBootable(config.board, { out, config: options.config });
  await assertHostPortsFree(context, options);
  return { board: config.board, out, configFile: config.file };
}

/** A usage error listing every port QEMU could not listen on, or nothing when all are free. */
async function assertHostPortsFree(context: CommandContext, options: BootOptions): Promise<void> {
  const problems = await checkHostPorts(hostPortsOf(options));
  if (problems.length === 0) return;
  throw portsError(problems, await listGuestRuns(context.env));
}

/** One line per port; the hint names the flags to change, or the detached guest holding a port. */
export function portsError(problems: readonly PortProblem[], runs: readonly GuestRun[]): UsageError {
  const lines = problems.map(({ port, reason }) => `${port.flag}: ${port.protocol} port ${port.port} on 127.0.0.1 ${reason}`);
  const holders = runs.filter((run) => run.guest.pid !== undefined && problems.some((problem) => problem.holder?.pid === run.guest.pid));
  const flags = [...new Set(problems.map(({ port }) => port.flag.split(' ')[0]))].join(' and ');
  const hint = holders.length > 0
    ? `${holders.map((run) => `the detached ${run.guest.board} guest holds it: mcdebian boot --stop --board ${run.guest.board}`).join('; ')}; or choose other ports with ${flags}`
    : `choose a free host port with ${flags}, or stop what holds it`;
  const message = lines.length === 1 ? lines[0]! : `${lines.length} host ports cannot be forwarded:\n  ${lines.join('\n  ')}`;
  return new UsageError(message, hint);
}
