/**
 * `callhome`: an always-connected reverse SSH tunnel from the device to a managed host, so the
 * device can be reached behind NAT. Replaces autossh with StrictHostKeyChecking=no: the managed
 * host's key is pinned from the config, ssh's own keepalives notice a dead path, and systemd
 * restarts the tunnel forever. Facts: overlays/callhome/README.md, "Facts this overlay relies on".
 */
import { join } from 'node:path';
import { defineOverlay, type FileReference, type OverlayIssue, type ReadFile } from '../overlay.js';
import { generateKeyPair, parseHostKeys, publicKeyOf } from './keys.js';
import { renderCallhome } from './render.js';
import { callhomeSchema, type CallhomeConfig } from './schema.js';
import { callhomeStatus } from './status.js';

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
  status: callhomeStatus,
});
