/**
 * The flags of the commands that log in to a running device (`status`, `logs`, an overlay's
 * own such as `vpn-azure status`), as `flash sftp` has them, and the address they make. In
 * build/core so that overlays' commands, which may not import build/commands, share them.
 */
import { resolve } from 'node:path';
import { integerFlag, stringFlag, UsageError, type CommandContext, type Flag, type FlagValues } from './command.js';

/** Where and as whom to log in to a device (flash's DeviceAddress and overlays' RemoteAddress take it). */
export interface DeviceLogin {
  host: string;
  port: number;
  user: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKey: boolean;
}

export const deviceFlags = {
  host: { type: 'string', value: 'H', description: 'the device\'s address, e.g. 192.168.1.1' },
  port: { type: 'string', value: 'N', description: 'the device\'s SSH port (default 22)' },
  user: { type: 'string', value: 'U', description: 'log in as this user (default root: the view reads root-only files)' },
  identity: { type: 'string', value: 'FILE', description: 'the private key to log in with' },
  'known-hosts': { type: 'string', value: 'FILE', description: 'where the device\'s host key is pinned (default ~/.ssh/known_hosts)' },
  'accept-new-host-key': { type: 'boolean', description: 'accept the device\'s key on first contact' },
} as const satisfies Record<string, Flag>;

/** The device's address from the flags; `command` names the command in the usage error. */
export function deviceAddressOf(context: CommandContext, values: FlagValues, command: string): DeviceLogin {
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
