/**
 * The report `mcdebian status` prints: the system and each overlay, and whether the device is
 * healthy, with every problem named. A pure function of what the device said; what counts as
 * a problem is decided here and in each overlay's parse, nowhere else.
 */
import type { Board } from '../../board/board.js';
import type { Overlay } from '../../overlays/overlay.js';
import type { GroupOutputs } from './round.js';
import { parseSystem, type SystemReport } from './system.js';

/** One overlay on the device. */
export interface OverlayReport {
  name: string;
  /** Whether the device has the overlay (its unit is loaded). */
  installed: boolean;
  /** Whether the config given with -c lists it; undefined without -c. */
  configured?: boolean;
  problems: string[];
  lines: string[];
  data?: object;
}

export interface DeviceReport {
  /** The address asked, host:port. */
  address: string;
  board: string;
  healthy: boolean;
  /** Every problem, each naming what is wrong; the overlays' prefixed with their name. */
  problems: string[];
  system: SystemReport;
  overlays: OverlayReport[];
}

/** The system's problems: systemd's verdict, failed units, a boot not yet confirmed healthy. */
function systemProblems(system: SystemReport, board: Board): string[] {
  const problems: string[] = [];
  if (system.state !== 'running') problems.push(`systemctl is-system-running says ${system.state}`);
  if (system.failedUnits.length > 0) problems.push(`failed units: ${system.failedUnits.join(', ')}`);
  const counter = system.bootCounter;
  if (counter && 'error' in counter) problems.push(`the boot counter could not be read: ${counter.error}`);
  else if (counter && counter.count > 0) {
    problems.push(`the boot counter is at ${counter.count}: this boot has not been confirmed healthy (mcdebian-boot-health.service); U-Boot boots the other slot after 3 unconfirmed boots`);
  }
  const slots = system.slots;
  if (slots && slots.booted === undefined) problems.push(`the kernel command line names neither slot's root= (${board.kernelSlots?.map((slot) => slot.stockRoot).join(', ')})`);
  if (slots?.booted !== undefined && slots.next !== undefined && slots.next !== slots.booted) {
    problems.push(`slot ${slots.booted} is running but U-Boot's ${board.ubootEnv?.variables.bootPart} says ${slots.next}: the next boot starts the other slot (an unfinished flash, or a fallback)`);
  }
  return problems;
}

function overlayReport(overlay: Overlay, outputs: GroupOutputs | undefined, context: { now: number; configured?: Set<string> }): OverlayReport {
  const configured = context.configured ? context.configured.has(overlay.name) : undefined;
  if (!outputs?.present || !overlay.status) {
    const problems = configured ? [`the config lists it, but the device does not have ${overlay.status?.units[0] ?? 'it'}: flash the image built from that config`] : [];
    return { name: overlay.name, installed: false, configured, problems, lines: [] };
  }
  const health = overlay.status.parse(outputs.outputs, { now: context.now });
  return { name: overlay.name, installed: true, configured, problems: health.problems, lines: health.lines, data: health.data };
}

/** The report from a round's outputs: the system group named "system", each overlay by its name. */
export function buildReport(options: {
  address: string;
  board: Board;
  overlays: readonly Overlay[];
  outputs: Map<string, GroupOutputs>;
  /** The overlays of the config given with -c. */
  configured?: readonly string[];
}): DeviceReport {
  const system = parseSystem(options.board, options.outputs.get('system')?.outputs ?? []);
  const configured = options.configured ? new Set(options.configured) : undefined;
  const overlays = options.overlays
    .map((overlay) => overlayReport(overlay, options.outputs.get(overlay.name), { now: system.now, configured }))
    .filter((report) => report.installed || report.configured);
  const problems = [...systemProblems(system, options.board), ...overlays.flatMap((overlay) => overlay.problems.map((problem) => `${overlay.name}: ${problem}`))];
  return { address: options.address, board: options.board.id, healthy: problems.length === 0, problems, system, overlays };
}
