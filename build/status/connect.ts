/**
 * The SSH connection `mcdebian status` and `mcdebian logs` use: flash's DeviceSession (the
 * same host key checks and keys as `flash sftp`), with a failure to connect turned into an
 * error that names the address and the flags that change it.
 */
import { DeviceSession, type DeviceAddress } from '../../flash/device-session.js';
import { UserError } from '../core/errors.js';
import { newBoundary, parseRound, roundScript, type GroupOutputs, type RoundGroup } from './round.js';

/** Connects, or throws a UserError naming the address. */
export async function connectDevice(address: DeviceAddress): Promise<DeviceSession> {
  try {
    return await DeviceSession.connect(address);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot log in to ${address.user}@${address.host}:${address.port} over SSH: ${(error as Error).message}`, {
      hint: 'check --host and --port, that the device is up, and the key (--identity FILE, or an ssh-agent)',
      cause: error,
    });
  }
}

/** Runs the groups in one round over `session` (round.ts). */
export async function runRound(session: DeviceSession, groups: readonly RoundGroup[]): Promise<Map<string, GroupOutputs>> {
  const boundary = newBoundary();
  const result = await session.exec('sh -s', roundScript(groups, boundary));
  return parseRound(result.stdout, groups, boundary);
}
