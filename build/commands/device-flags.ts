/**
 * The flags of the commands that log in to a running device (`status`, `logs`), as
 * `flash sftp` has them, and the address they make.
 */
import { resolve } from 'node:path';
import type { DeviceAddress } from '../../flash/device-session.js';
import { integerFlag, stringFlag, UsageError, type CommandContext, type Flag, type FlagValues } from '../core/command.js';

export const deviceFlags = {
  host: { type: 'string', value: 'H', description: 'the device\'s address, e.g. 192.168.1.1' },
  port: { type: 'string', value: 'N', description: 'the device\'s SSH port (default 22)' },
  user: { type: 'string', value: 'U', description: 'log in as this user (default root: the view reads root-only files)' },
  identity: { type: 'string', value: 'FILE', description: 'the private key to log in with' },
  'known-hosts': { type: 'string', value: 'FILE', description: 'where the device\'s host key is pinned (default ~/.ssh/known_hosts)' },
  'accept-new-host-key': { type: 'boolean', description: 'accept the device\'s key on first contact' },
} as const satisfies Record<string, Flag>;

/** The device's address from the flags; `command` names the command in the usage error. */
export function deviceAddressOf(context: CommandContext, values: FlagValues, command: string): DeviceAddress {
  const host = stringFlag(values, 'host');
  if (host === undefined) throw new UsageError(`${command} needs --host H`, 'the device\'s address, e.g. --host 192.168.1.1');
  const identity = stringFlag(values, 'identity');
  const knownHosts = stringFlag(values, 'known-hosts');
  return {
    host,
    port: integerFlag(values, 'port', { fallback: 22, min: 1, max: 65535 }),
    user: stringFlag(values, 'user') ?? 'root',
    identity: identity === undefined ? undefined : resolve(context.cwd, identity),
    knownHosts: knownHosts === undefined ? undefined : resolve(context.cwd, knownHosts),
    acceptNewHostKey: values['accept-new-host-key'] === true,
  };
}
