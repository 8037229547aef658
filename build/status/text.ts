/**
 * The report as text for a person: the verdict first, one line per fact, each overlay under
 * its name, and the problems listed last so that the eye ends on what to fix.
 */
import { formatDuration } from '../../overlays/unit-state.js';
import type { DeviceReport, OverlayReport } from './report.js';
import type { SlotImage, SystemReport } from './system.js';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function slotLine(slot: SlotImage, slots: NonNullable<SystemReport['slots']>): string {
  const role = slot.slot === slots.booted ? 'booted' : slot.slot === slots.other ? 'the other' : 'not booted';
  const content = slot.image ? `"${slot.image.name}", built ${slot.image.built}, ${slot.image.bytes} bytes` : slot.problem ?? '';
  return `slot ${slot.slot} (${slot.partition}, ${role}): ${content}`;
}

function systemLines(system: SystemReport): string[] {
  const failed = system.failedUnits.length === 0 ? 'no failed units' : `failed: ${system.failedUnits.join(', ')}`;
  const lines = [`up ${formatDuration(system.uptimeSeconds)}; systemd ${system.state}; ${failed}`];
  if (system.slots) {
    lines.push(...system.slots.images.map((slot) => slotLine(slot, system.slots!)));
    const next = system.slots.next === undefined ? 'unknown' : `slot ${system.slots.next}`;
    const counter = system.bootCounter === undefined ? '' : 'error' in system.bootCounter ? '; boot counter unreadable' : `; boot counter ${system.bootCounter.count}`;
    lines.push(`next boot: ${next}${counter}`);
  }
  const pending = system.kernel.pending.length > 0 ? `; pending kernel update: ${system.kernel.pending.join(', ')} in /boot, not booted` : '';
  lines.push(`kernel ${system.kernel.running}${pending}`);
  return lines;
}

function overlayLines(overlay: OverlayReport): string[] {
  const verdict = !overlay.installed ? 'not on the device' : overlay.problems.length === 0 ? 'ok' : plural(overlay.problems.length, 'problem');
  return [`${overlay.name}: ${verdict}`, ...overlay.lines.map((line) => `  ${line}`)];
}

/** The report as text, ending with a newline. */
export function formatReport(report: DeviceReport): string {
  const verdict = report.healthy ? 'healthy' : `degraded, ${plural(report.problems.length, 'problem')}`;
  const lines = [
    `${report.system.hostname || '(no hostname)'} (${report.board} at ${report.address}): ${verdict}`,
    ...systemLines(report.system).map((line) => `  ${line}`),
  ];
  for (const overlay of report.overlays) lines.push('', ...overlayLines(overlay));
  if (report.problems.length > 0) lines.push('', 'problems:', ...report.problems.map((problem) => `  - ${problem}`));
  return `${lines.join('\n')}\n`;
}
