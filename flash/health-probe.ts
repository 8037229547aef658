/**
 * What the device says about its boot while `flash sftp` waits for it after the reboot, read in
 * one SSH command, and what the wait says about it: whether the device answers, whether it is the
 * new boot, systemd's state (systemctl is-system-running) and the units still starting
 * (systemctl list-jobs: JOB UNIT TYPE STATE columns, no header or footer with --no-legend).
 */
import { formatElapsed } from '../build/core/progress.js';
import { splitSections } from './device-probe.js';

export const HEALTH_PROBE_SCRIPT = [
  'echo "== boot_id"; cat /proc/sys/kernel/random/boot_id',
  'echo "== state"; systemctl is-system-running',
  'echo "== jobs"; systemctl list-jobs --no-legend 2>/dev/null',
  'echo "== failed"; systemctl list-units --state=failed --no-legend --plain',
  'echo "== cmdline"; cat /proc/cmdline',
  'echo "== bootcount"; mcdebian-bootcount print --json 2>/dev/null',
].join('\n');

/** One systemd job: a unit starting (running) or waiting for another to. */
export interface BootJob {
  unit: string;
  state: string;
}

export interface HealthProbe {
  bootId: string;
  /** systemctl is-system-running: initializing, starting, running, degraded, ... */
  systemState: string;
  jobs: BootJob[];
  failedUnits: string[];
  cmdline: string;
  bootCount?: number;
}

export function parseHealthProbe(output: string): HealthProbe {
  const parts = splitSections(output);
  const lines = (name: string) => parts.get(name) ?? [];
  const jobs = lines('jobs').flatMap((line) => {
    const match = /^\s*\d+\s+(\S+)\s+\S+\s+(\S+)/.exec(line);
    return match ? [{ unit: match[1]!, state: match[2]! }] : [];
  });
  const count = /"count":\s*(\d+)/.exec(lines('bootcount').join(''))?.[1];
  return {
    bootId: lines('boot_id')[0]?.trim() ?? '',
    systemState: lines('state')[0]?.trim() || 'unknown',
    jobs,
    failedUnits: lines('failed').map((line) => line.trim().split(/\s+/)[0]!).filter(Boolean),
    cmdline: lines('cmdline')[0] ?? '',
    bootCount: count === undefined ? undefined : Number(count),
  };
}

/** systemd has not finished the boot yet (systemctl(1), is-system-running). */
export function isBooting(systemState: string): boolean {
  return systemState === 'initializing' || systemState === 'starting';
}

/** What the wait is waiting for. */
export type WaitStatus =
  | { kind: 'reboot' }
  | { kind: 'no-answer'; reason: string }
  | { kind: 'old-boot' }
  | { kind: 'keys-refused' }
  | { kind: 'booting'; systemState: string; jobs: BootJob[] };

const MAX_UNITS = 4;

/** "3 units starting: ssh.service, mcdebian-boot-health.service, +1 more; 5 waiting". */
function describeJobs(jobs: readonly BootJob[]): string {
  const running = jobs.filter((job) => job.state === 'running').map((job) => job.unit);
  const waiting = jobs.length - running.length;
  const named = running.slice(0, MAX_UNITS).join(', ') + (running.length > MAX_UNITS ? `, +${running.length - MAX_UNITS} more` : '');
  const parts = [running.length > 0 ? `starting ${named}` : '', waiting > 0 ? `${waiting} more unit${waiting === 1 ? '' : 's'} waiting` : ''];
  return parts.filter(Boolean).join('; ') || 'no jobs left';
}

/** The status in words: what the device does, and what the wait waits for. */
export function describeWait(status: WaitStatus, host: string): string {
  switch (status.kind) {
    case 'reboot': return `${host} is rebooting`;
    case 'no-answer': return `${host} does not answer yet (${status.reason})`;
    case 'old-boot': return `${host} answers from the boot before the reboot: the reboot has not begun`;
    case 'keys-refused': return `${host} answers, but its SSH lets none of the keys in`;
    case 'booting': return `${host} is booting (systemctl is-system-running: ${status.systemState}): ${describeJobs(status.jobs)}`;
  }
}

/** "waiting for health, 1 min 05 s of 10 min 00 s: 127.0.0.1 is booting (...)". */
export function formatWaitLine(text: string, options: { waitedMs: number; timeoutMs: number }): string {
  return `waiting for health, ${formatElapsed(options.waitedMs)} of ${formatElapsed(options.timeoutMs)}: ${text}`;
}
