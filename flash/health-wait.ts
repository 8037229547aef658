/**
 * After the reboot: reconnect until the device answers from a new boot, follow systemd until the
 * boot is done, and judge what came back. Every poll says what it is waiting for (onWait), so a
 * five-minute wait reads as the device rebooting, then booting with the units still starting.
 */
import type { Board } from '../board/board.js';
import { UserError } from '../build/core/errors.js';
import type { Logger } from '../build/core/log.js';
import { DeviceSession, SshAuthenticationError, type DeviceAddress, type HostKeyPin } from './device-session.js';
import { HEALTH_PROBE_SCRIPT, isBooting, parseHealthProbe, type HealthProbe, type WaitStatus } from './health-probe.js';
import { bootedSlot, type FlashPlan } from './preflight.js';
import { ROOTFS_STATE_COMMAND, type RootfsState } from './rootfs-update.js';

const SECOND = 1000;
/** How often the device is asked again; systemd's boot of a router takes minutes. */
const POLL_MS = 5 * SECOND;
/** A probe that does not come back in this long means the connection died with the reboot. */
const PROBE_TIMEOUT_MS = 30 * SECOND;

/** What the device said after the reboot. */
export interface HealthObservation {
  bootedSlot?: 1 | 2;
  systemState: string;
  failedUnits: string[];
  bootCount?: number;
}

export type HealthOutcome = 'healthy' | 'fell-back' | 'unhealthy' | 'no-answer';

export interface Health extends Partial<HealthObservation> {
  outcome: HealthOutcome;
  message: string;
  /** With --rootfs: whether the new root filesystem is in place after the reboot. */
  rootfs?: RootfsState;
}

/** The outcome of a flash from what the device said after the reboot. */
export function judgeHealth(plan: FlashPlan, seen: HealthObservation): Health {
  const base = { ...seen };
  if (seen.bootedSlot === plan.activeSlot) {
    return {
      ...base,
      outcome: 'fell-back',
      message: `the device came back on slot ${plan.activeSlot}, the old one: slot ${plan.targetSlot} never confirmed a healthy boot, so the boot counter brought slot ${plan.activeSlot} back. The new image does not work on this device.`,
    };
  }
  if (seen.bootedSlot !== plan.targetSlot) {
    return { ...base, outcome: 'unhealthy', message: 'the device came back, but its kernel command line names neither slot\'s root=' };
  }
  if (seen.systemState === 'running' && (seen.bootCount === undefined || seen.bootCount === 0)) {
    return { ...base, outcome: 'healthy', message: `slot ${plan.targetSlot} booted and is healthy (systemctl is-system-running: running${seen.bootCount === 0 ? ', boot counter reset' : ''})` };
  }
  const why = seen.systemState === 'running' ? `its boot counter is still ${seen.bootCount}` : `systemctl is-system-running says ${seen.systemState}${seen.failedUnits.length > 0 ? ` (failed: ${seen.failedUnits.join(', ')})` : ''}`;
  return {
    ...base,
    outcome: 'unhealthy',
    message: `slot ${plan.targetSlot} booted but is not healthy: ${why}. Unless it confirms a boot, U-Boot returns to slot ${plan.activeSlot} after 3 boots; reboot it to go back now`,
  };
}

export interface HealthWaitOptions {
  board: Board;
  address: DeviceAddress;
  plan: FlashPlan;
  /** The host key the device had before the reboot: the one that comes back must be the same. */
  pin: HostKeyPin;
  /** The boot before the reboot; the device answering with it has not rebooted yet. */
  oldBootId: string;
  timeoutMs: number;
  /** Also read the root filesystem update's state (--rootfs). */
  rootfs: boolean;
  logger: Logger;
  /** Called at every poll with what the wait is waiting for and how long it has waited. */
  onWait?(status: WaitStatus, waitedMs: number): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reconnects until the device answers from a new boot, follows its boot, then judges it. */
export async function waitForHealth(options: HealthWaitOptions): Promise<Health> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const report = (status: WaitStatus) => options.onWait?.(status, Date.now() - started);
  options.logger.info(`waiting up to ${Math.round(options.timeoutMs / SECOND)} s for ${options.address.host} to come back`);
  report({ kind: 'reboot' });
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    const session = await DeviceSession.connect(options.address, { pin: options.pin, timeoutMs: 15 * SECOND }).catch((error: Error) => {
      if (error instanceof SshAuthenticationError) return error;
      if (error instanceof UserError) throw error; // another host key: not the device that was flashed
      return error;
    });
    if (!(session instanceof DeviceSession)) {
      report(session instanceof SshAuthenticationError ? { kind: 'keys-refused' } : { kind: 'no-answer', reason: shortReason(session) });
      continue;
    }
    try {
      const health = await followBoot(session, options, { deadline, report });
      if (health) return health;
    } finally {
      await session.end();
    }
  }
  return {
    outcome: 'no-answer',
    systemState: 'unknown',
    failedUnits: [],
    message:
      `${options.address.host} did not answer from a new boot within ${Math.round(options.timeoutMs / SECOND)} s. ` +
      `If slot ${options.plan.targetSlot} does not come up, the boot counter brings slot ${options.plan.activeSlot} back after 3 boots that no healthy system confirmed ` +
      '(power-cycle the router if it hangs); then run the flash again.',
  };
}

/**
 * On one connection: asks the device every few seconds until its boot is done (or the deadline),
 * then judges it. Undefined when it is still the old boot, or the connection died: reconnect.
 */
async function followBoot(session: DeviceSession, options: HealthWaitOptions, wait: { deadline: number; report(status: WaitStatus): void }): Promise<Health | undefined> {
  for (;;) {
    const probe = await probeHealth(session);
    if (probe instanceof Error || probe.bootId === '') {
      // an empty answer: the connection closed under the command
      wait.report({ kind: 'no-answer', reason: probe instanceof Error ? shortReason(probe) : 'the connection closed' });
      return undefined;
    }
    if (probe.bootId === options.oldBootId) {
      wait.report({ kind: 'old-boot' });
      return undefined;
    }
    if (!isBooting(probe.systemState) || Date.now() >= wait.deadline) return judge(session, options, probe);
    wait.report({ kind: 'booting', systemState: probe.systemState, jobs: probe.jobs });
    await sleep(POLL_MS);
  }
}

async function judge(session: DeviceSession, options: HealthWaitOptions, probe: HealthProbe): Promise<Health> {
  const slot = bootedSlot(options.board, probe.cmdline);
  const failedUnits = probe.systemState === 'running' ? [] : probe.failedUnits;
  const rootfs = options.rootfs ? (await session.exec(ROOTFS_STATE_COMMAND)).stdout.trim() as RootfsState : undefined;
  return { ...judgeHealth(options.plan, { bootedSlot: slot, systemState: probe.systemState, failedUnits, bootCount: probe.bootCount }), rootfs };
}

/** The probe's answer, or the error when the connection died under it (or it hung for 30 s). */
async function probeHealth(session: DeviceSession): Promise<HealthProbe | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => { timer = setTimeout(() => resolve(new Error('no reply in 30 s')), PROBE_TIMEOUT_MS); });
  try {
    const result = await Promise.race([session.exec(HEALTH_PROBE_SCRIPT).catch((error: Error) => error), timeout]);
    return result instanceof Error ? result : parseHealthProbe(result.stdout);
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of an error, without ssh2-sftp-client's "getConnection: " prefix. */
function shortReason(error: Error): string {
  return (error.message.split('\n')[0] ?? '').replace(/^getConnection: /, '').replace(/^connect /, '') || error.name;
}
