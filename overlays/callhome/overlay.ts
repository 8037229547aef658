/**
 * `callhome`: an always-connected reverse SSH tunnel from the device to a managed host, so the
 * device can be reached behind NAT. Replaces autossh with StrictHostKeyChecking=no: the managed
 * host's key is pinned from the config, ssh's own keepalives notice a dead path, and systemd
 * restarts the tunnel forever. Facts: overlays/callhome/README.md, "Facts this overlay relies on".
 */
import { join } from 'node:path';
import { defineOverlay, type FileReference, type FilesContext, type OverlayIssue, type ReadFile } from '../overlay.js';
import { callhomeCommands } from './cli.js';
import { generateTunnelKey } from './generated-key.js';
import { parseHostKeys, publicKeyOf } from './keys.js';
import { renderCallhome } from './render.js';
import { callhomeSchema, type CallhomeConfig } from './schema.js';
import { callhomeStatus } from './status.js';

/**
 * Where a generated tunnel key lives: beside mcdebian.yaml, so that it outlives the cache, under
 * the config file's own name, so that no field of the config moves it (under the hostname, a
 * hostname change made a new key the managed host did not trust) and each config of a fleet in
 * one directory has its own.
 */
export const generatedKeyPath = (configName: string) => join('secrets', configName, 'callhome-tunnel-key');

/** Where McDebian generated it before: found there, it is moved, not replaced. */
export const formerKeyPath = (hostname: string) => join('secrets', hostname, 'callhome-tunnel-key');

function files(config: CallhomeConfig, context: FilesContext): FileReference[] {
  const privateKey: FileReference = config.privateKey === undefined
    ? {
      field: ['privateKey'],
      path: generatedKeyPath(context.configName),
      secret: true,
      formerPaths: [formerKeyPath(context.hostname)],
      companions: ['.pub'],
      generate: (file, generation) => generateTunnelKey(file, { ...generation, comment: `mcdebian-callhome@${context.hostname}` }),
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
  cli: callhomeCommands,
  status: callhomeStatus,
});
