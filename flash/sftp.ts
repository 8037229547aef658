/**
 * `flash sftp`: the A/B flash of a running device over one SSH connection.
 *
 *   preflight (read only) → upload (resumes) → write the inactive slot → read it back and compare
 *   sha256 → [--rootfs: upload and stage the root filesystem] → switch slot, bootcmd and read
 *   window in one fw_setenv → reboot → wait for health
 *
 * Nothing is written before preflight passes, and the environment is not touched unless the slot
 * reads back right, so a failure before the switch leaves the running slot booting. After the
 * switch, the device's own health check resets the boot counter; if it never does, the stock
 * U-Boot (or the QEMU stand-in) brings the old slot back, and the report says which slot answered.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Board } from '../board/board.js';
import { UserError, VerificationError } from '../build/core/errors.js';
import type { Logger } from '../build/core/log.js';
import { parseProbe, PROBE_SCRIPT, UPLOAD_DIR } from './device-probe.js';
import { DeviceSession, type DeviceAddress } from './device-session.js';
import type { WaitStatus } from './health-probe.js';
import { waitForHealth, type HealthOutcome } from './health-wait.js';
import { preflight, type FlashImage, type FlashPlan } from './preflight.js';
import { stageCommands, STAGE_DIR, type RootfsState } from './rootfs-update.js';
import { fileSha256Command, readBackCommand, setEnvCommand, shellQuote, writeSlotCommand } from './slot-commands.js';
import { createMeter, type ProgressCallback } from './usb.js';

/** The root filesystem update: rootfs.tar gzip'd on this host, and the paths the device keeps. */
export interface RootfsUpdate extends FlashImage {
  /** Bytes of the tarball before compression: about what the unpacked tree takes. */
  unpackedBytes: number;
  keep: string[];
}

export interface SftpFlashOptions {
  board: Board;
  address: DeviceAddress;
  image: FlashImage;
  /** Also update the root filesystem on the stick (--rootfs). */
  rootfs?: RootfsUpdate;
  /** Connect and run preflight, then print every step instead of running it. */
  dryRun: boolean;
  /** How long to wait for the device to come back healthy after the reboot. */
  healthTimeoutMs: number;
  logger: Logger;
  onProgress?: ProgressCallback;
  /** Called every few seconds of the health wait with what it waits for and how long it has waited. */
  onWait?(status: WaitStatus, waitedMs: number): void;
}

export { judgeHealth, type HealthObservation } from './health-wait.js';

export type SftpOutcome = 'dry-run' | HealthOutcome;

export interface SftpFlashReport {
  outcome: SftpOutcome;
  message: string;
  plan: FlashPlan;
  hostKey: string;
  /** What ran, or would run with --dry-run. */
  steps: { step: string; command?: string; seconds?: number }[];
  bootedSlot?: 1 | 2;
  systemState?: string;
  failedUnits?: string[];
  bootCount?: number;
  /** With --rootfs: whether the new root filesystem is in place after the reboot. */
  rootfs?: RootfsState;
}

/** sha256 of the first `bytes` bytes of a local file. */
async function localSha256(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  if (bytes === 0) return hash.digest('hex');
  for await (const chunk of createReadStream(path, { end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function flashSftp(options: SftpFlashOptions): Promise<SftpFlashReport> {
  const { board, image, logger } = options;
  const steps: SftpFlashReport['steps'] = [];
  const timed = async <T>(step: string, command: string | undefined, work: () => Promise<T>): Promise<T> => {
    logger.info(`${step}${command ? `: ${command}` : ''}`);
    const started = performance.now();
    const result = await work();
    steps.push({ step, command, seconds: Math.round((performance.now() - started) / 100) / 10 });
    return result;
  };

  const session = await DeviceSession.connect(options.address);
  let plan: FlashPlan;
  let bootId: string;
  try {
    const facts = parseProbe(await timed('preflight: read the device', undefined, () => session.run(PROBE_SCRIPT, 'reading the device')));
    const rootfs = options.rootfs;
    const result = preflight(board, facts, image, rootfs ? { uploadBytes: rootfs.bytes, unpackedBytes: rootfs.unpackedBytes } : undefined);
    if (!result.ok) {
      throw new UserError(`refusing to flash ${options.address.host}: it does not match ${board.id}\n${result.problems.map((p) => `  - ${p}`).join('\n')}`, {
        hint: 'nothing was written; check --board and --host',
      });
    }
    plan = result.plan;
    bootId = facts.bootId;
    logger.info(`preflight passed: ${board.id}, slot ${plan.activeSlot} running, slot ${plan.targetSlot} (${plan.target.device}) gets ${image.path}`);
    if (plan.bootCount !== undefined && plan.bootCount > 0) {
      logger.warn(`the boot counter is at ${plan.bootCount}: the running system has not confirmed its own health`);
    }
    const remote = `${UPLOAD_DIR}/${image.sha256.slice(0, 16)}.uimg`;
    const write = writeSlotCommand(plan.kind, plan.target.device, remote);
    const readBack = readBackCommand(plan.kind, plan.target.device, image.bytes);
    const env = setEnvCommand(plan.envChanges);
    const envText = plan.envChanges.map(([name, value]) => `${name}=${value}`).join(' ');
    const rootfsRemote = rootfs ? `${UPLOAD_DIR}/${rootfs.sha256.slice(0, 16)}.rootfs.tar.gz` : '';
    const stage = rootfs ? stageCommands(rootfsRemote, rootfs.keep) : [];
    if (options.dryRun) {
      steps.push(
        { step: 'upload', command: `sftp ${image.path} → ${remote} (resumes a partial upload)` },
        { step: `write slot ${plan.targetSlot}`, command: write },
        { step: 'read back and compare sha256', command: `${readBack} (expect ${image.sha256})` },
        ...(rootfs ? [{ step: 'upload the root filesystem', command: `sftp ${rootfs.path} → ${rootfsRemote} (resumes a partial upload)` }, ...stage] : []),
        { step: 'switch slot in one write', command: `${env.command} <<< ${envText}` },
        { step: 'reset the boot counter', command: 'mcdebian-bootcount reset' },
        { step: 'reboot', command: 'systemctl reboot' },
        { step: 'wait for health', command: 'every 5 s: reconnect; systemctl is-system-running and list-jobs until the boot is done; root= in /proc/cmdline; mcdebian-bootcount print' },
      );
      return { outcome: 'dry-run', message: `dry run: nothing written to ${options.address.host}`, plan, hostKey: session.hostKey.fingerprint, steps };
    }

    await timed('upload', `${image.path} → ${remote}`, () => upload(session, image, remote, options.onProgress, logger));
    await timed(`write slot ${plan.targetSlot}`, write, () => session.run(write, `writing ${plan.target.device}`));
    const written = (await timed('read back', readBack, () => session.run(readBack, `reading ${plan.target.device} back`))).trim();
    if (written !== image.sha256) {
      throw new VerificationError(`slot ${plan.targetSlot} (${plan.target.device}) read back`, image.sha256, written, {
        hint: `the environment was not changed: slot ${plan.activeSlot} still boots. Flash again; if it repeats, the flash may be failing`,
      });
    }
    if (rootfs) {
      await timed('upload the root filesystem', `${rootfs.path} → ${rootfsRemote}`, () => upload(session, rootfs, rootfsRemote, options.onProgress, logger));
      for (const { step, command } of stage) await timed(step, command, () => session.run(command, step));
    }
    await timed('switch slot', `${env.command} <<< ${envText}`, () => session.run(env.command, 'fw_setenv', env.stdin));
    await checkEnvironment(session, plan);
    if (facts.tools.has('mcdebian-bootcount')) await timed('reset the boot counter', 'mcdebian-bootcount reset', () => session.run('mcdebian-bootcount reset', 'resetting the boot counter'));
    await session.exec(`rm -f ${shellQuote(remote)}`);
    await timed('reboot', 'systemctl reboot', () => session.exec("nohup sh -c 'sleep 1; systemctl reboot' >/dev/null 2>&1 &"));
  } finally {
    await session.end();
  }
  const health = await timed('wait for health', undefined, () => waitForHealth({
    board, address: options.address, plan, pin: session.hostKey, oldBootId: bootId, timeoutMs: options.healthTimeoutMs,
    rootfs: options.rootfs !== undefined, logger, onWait: options.onWait,
  }));
  if (options.rootfs && health.rootfs !== 'in-place' && health.outcome === 'healthy') {
    return {
      ...health, outcome: 'unhealthy', plan, hostKey: session.hostKey.fingerprint, steps,
      message: health.rootfs === 'put-back'
        ? `slot ${plan.targetSlot} booted with the root filesystem it had: the new one was put back into /.mcdebian-failed (its kernel modules did not match)`
        : `slot ${plan.targetSlot} booted, but the staged root filesystem is still in ${STAGE_DIR}: its initramfs did not put it in place`,
    };
  }
  return { ...health, plan, hostKey: session.hostKey.fingerprint, steps };
}

/** Uploads, resuming a partial file whose bytes match the local file's; checks the whole file's sha256. */
async function upload(session: DeviceSession, image: Pick<FlashImage, 'path' | 'bytes' | 'sha256'>, remote: string, onProgress: ProgressCallback | undefined, logger: Logger): Promise<void> {
  let from = await session.remoteSize(remote);
  if (from > image.bytes) from = 0;
  if (from > 0) {
    const [theirs, ours] = await Promise.all([session.run(fileSha256Command(remote, from), 'hashing the partial upload'), localSha256(image.path, from)]);
    if (theirs.trim() !== ours) from = 0;
    else logger.info(from === image.bytes ? 'already uploaded' : `resuming the upload at byte ${from}`);
  }
  if (from < image.bytes) {
    const meter = createMeter('upload', image.bytes, onProgress);
    meter(from);
    await session.upload(image.path, remote, { from, onBytes: meter });
  }
  const uploaded = (await session.run(fileSha256Command(remote), 'hashing the upload')).trim();
  if (uploaded !== image.sha256) {
    await session.exec(`rm -f ${shellQuote(remote)}`);
    throw new VerificationError(`the uploaded ${remote}`, image.sha256, uploaded, { hint: 'nothing was written to the flash; run the flash again' });
  }
}

/** fw_printenv must show every change: the write went to the environment U-Boot reads. */
async function checkEnvironment(session: DeviceSession, plan: FlashPlan): Promise<void> {
  const names = plan.envChanges.map(([name]) => name);
  const printed = await session.run(`fw_printenv ${names.join(' ')}`, 'reading the environment back');
  for (const [name, value] of plan.envChanges) {
    if (!printed.split('\n').includes(`${name}=${value}`)) {
      throw new VerificationError(`U-Boot environment ${name}`, value, printed.split('\n').find((line) => line.startsWith(`${name}=`)) ?? 'unset', {
        hint: 'the slot is written but the switch did not take; check fw_env.config on the device',
      });
    }
  }
}
