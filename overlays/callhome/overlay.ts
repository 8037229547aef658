/**
 * `callhome`: an always-connected reverse SSH tunnel from the device to a managed host, so the
 * device can be reached behind NAT. Replaces autossh with StrictHostKeyChecking=no: the managed
 * host's key is pinned from the config, ssh's own keepalives notice a dead path, and systemd
 * restarts the tunnel forever. Facts: overlays/callhome/README.md, "Facts this overlay relies on".
 */
import { join } from 'node:path';
import { z } from 'zod';
import { fileReference, hostOrAddress, port, seconds, unixUser } from '../../build/core/fields.js';
import { defineOverlay, type FileReference, type OverlayIssue, type ReadFile } from '../overlay.js';
import { generateKeyPair, parseHostKeys, publicKeyOf } from './keys.js';
import { renderCallhome } from './render.js';

export const callhomeSchema = z.strictObject({
  host: hostOrAddress.describe('the managed host the tunnel goes to'),
  port: port('its SSH port').default(22),
  user: unixUser.default('callhome')
    .describe('the user the device logs in as on the managed host'),
  hostKey: fileReference('file with the managed host\'s public host key (its ssh_host_*.pub, or ssh-keyscan output): pinned, the build refuses without it'),
  remotePort: z.int().min(1024, { message: 'must be 1024 or more: only root may listen below 1024 on the managed host' }).max(65535)
    .describe('port on the managed host\'s loopback that leads back to the device\'s SSH server'),
  localPort: port('the device\'s SSH port the tunnel leads to').default(22),
  privateKey: fileReference('secret file with the tunnel\'s private key; generated at build (secrets/<hostname>/callhome-tunnel-key) when absent').optional(),
  serverAliveInterval: seconds(1, 300, 'seconds between ssh keepalives through the tunnel').default(3),
  serverAliveCountMax: seconds(1, 10, 'unanswered keepalives before ssh gives the tunnel up').default(2),
  connectTimeout: seconds(1, 120, 'seconds to wait for the TCP connection and SSH handshake').default(10),
  restartSec: seconds(1, 600, 'seconds systemd waits before starting a new tunnel').default(1),
  clientAliveInterval: seconds(1, 300, 'managed host\'s sshd: seconds between keepalives to the device').default(3),
  clientAliveCountMax: seconds(1, 10, 'managed host\'s sshd: unanswered keepalives before it frees the tunnel\'s port').default(2),
});

export type CallhomeConfig = z.output<typeof callhomeSchema>;

/** Where a generated tunnel key lives, beside mcdebian.yaml: it must outlive the cache. */
export const generatedKeyPath = (hostname: string) => join('secrets', hostname, 'callhome-tunnel-key');

function files(config: CallhomeConfig, context: { hostname: string }): FileReference[] {
  const privateKey: FileReference = config.privateKey === undefined
    ? {
      field: ['privateKey'],
      path: generatedKeyPath(context.hostname),
      secret: true,
      generate: (file) => generateKeyPair(file, `mcdebian-callhome@${context.hostname}`),
    }
    : { field: ['privateKey'], path: config.privateKey, secret: true };
  return [{ field: ['hostKey'], path: config.hostKey, secret: false }, privateKey];
}

function validate(_config: CallhomeConfig, read: readonly ReadFile[]): OverlayIssue[] {
  const issues: OverlayIssue[] = [];
  for (const file of read) {
    if (file.content === undefined) continue;
    try {
      if (file.field[0] === 'hostKey') parseHostKeys(file.content);
      else publicKeyOf(file.content);
    } catch (error) {
      issues.push({ field: file.field, message: `${file.path} ${(error as Error).message}` });
    }
  }
  return issues;
}

export const callhome = defineOverlay<CallhomeConfig>({
  name: 'callhome',
  summary: 'reverse SSH tunnel to a managed host, pinned host key, restarted forever by systemd',
  architectures: ['armhf', 'amd64'],
  schema: callhomeSchema,
  packages: () => ['openssh-client'],
  files,
  validate,
  render: renderCallhome,
});
