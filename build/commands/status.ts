/**
 * `mcdebian status --host H (-c FILE | --board ID) [--port N] [--user U] [--identity FILE]
 * [--known-hosts FILE] [--accept-new-host-key] [--json]`: a view of a running device from the
 * workstation, from one round of commands over SSH (build/status/): slots, boot counter,
 * kernel, systemd's state and failed units, and each overlay's health. Exit 0 when healthy,
 * 1 when degraded (the report names every problem).
 */
import { getBoard } from '../../board/index.js';
import type { Board } from '../../board/board.js';
import { overlays as registry } from '../../overlays/index.js';
import type { Overlay } from '../../overlays/overlay.js';
import { loadConfig } from '../config/load.js';
import { commonFlags, stringFlag, UsageError, writeJson, type Command, type CommandContext, type ExitCode, type FlagValues } from '../core/command.js';
import { connectDevice, runRound } from '../status/connect.js';
import { buildReport, type DeviceReport } from '../status/report.js';
import type { RoundGroup } from '../status/round.js';
import { systemCommands } from '../status/system.js';
import { formatReport } from '../status/text.js';
import { deviceAddressOf, deviceFlags } from '../core/device-flags.js';
import type { DeviceAddress } from '../../flash/device-session.js';

/** The round: the system's commands, then each overlay's, run where the device has it. */
export function statusGroups(board: Board, overlays: readonly Overlay[]): RoundGroup[] {
  return [
    { name: 'system', commands: systemCommands(board).map(([, command]) => command) },
    ...overlays.flatMap((overlay) => (overlay.status ? [{ name: overlay.name, unit: overlay.status.units[0], commands: overlay.status.commands }] : [])),
  ];
}

/** The board, and the overlays the config lists (-c only). */
async function boardOf(context: CommandContext, values: FlagValues): Promise<{ board: Board; configured?: string[] }> {
  const [file, id] = [stringFlag(values, 'config'), stringFlag(values, 'board')];
  if (file === undefined) {
    if (id === undefined) throw new UsageError('status needs --board ID or -c FILE: the board says which kernel slot a device booted', 'e.g. mcdebian status --host 192.168.1.1 --board wrt1200ac');
    return { board: getBoard(id) };
  }
  const config = await loadConfig({ file, board: id, cwd: context.cwd });
  return { board: config.board, configured: config.resolvedOverlays.map((resolved) => resolved.overlay.name) };
}

/** Logs in, runs the round, builds the report. */
export async function collectStatus(address: DeviceAddress, board: Board, options: { configured?: string[] } = {}): Promise<DeviceReport> {
  const session = await connectDevice(address);
  try {
    const outputs = await runRound(session, statusGroups(board, registry));
    return buildReport({ address: `${address.host}:${address.port}`, board, overlays: registry, outputs, configured: options.configured });
  } finally {
    await session.end();
  }
}

export async function runStatus(context: CommandContext, values: FlagValues): Promise<ExitCode> {
  const address = deviceAddressOf(context, values, 'status');
  const { board, configured } = await boardOf(context, values);
  const report = await collectStatus(address, board, { configured });
  if (values.json === true) writeJson(context, report);
  else context.stdout.write(formatReport(report));
  return report.healthy ? 0 : 1;
}

export const statusCommand: Command = {
  summary: 'show a running device: slots, boot counter, kernel, failed units and each overlay\'s health (exit 1 when degraded)',
  usage: 'mcdebian status --host H (-c FILE | --board ID) [--port N] [--user U] [--identity FILE] [--known-hosts FILE] [--accept-new-host-key] [--json]',
  flags: {
    ...deviceFlags,
    board: commonFlags.board,
    config: { ...commonFlags.config, description: 'mcdebian.yaml: its board, and its overlays are expected on the device' },
    json: commonFlags.json,
  },
  run: runStatus,
};
