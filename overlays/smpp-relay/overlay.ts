/**
 * `smpp-relay`: a Node SMPP relay that replaces Kannel (bearerbox and smsbox) on the router:
 * Kannel's kannel.conf, routing (active-passive, active-active, forced and default routes) and
 * sendsms API, with link health beyond Kannel's and a store that loses nothing to a crash.
 * Facts: overlays/smpp-relay/README.md, "Facts this overlay relies on"; the relay itself is in app/.
 */
import { fileURLToPath } from 'node:url';
import { defineOverlay, type FileReference, type OverlayIssue, type ReadFile } from '../overlay.js';
import { formatIssue, readSettings } from './app/settings.js';
import { parseUserConf, renderConf, type ConfSource } from './conf.js';
import { confSources, renderSmppRelay } from './render.js';
import { smppRelaySchema, type SmppRelayConfig } from './schema.js';
import { smppRelayStatus } from './status.js';
import { APP_PATH } from './units.js';

/** The service's entry module, compiled, beside this file. */
const APP_ENTRY = fileURLToPath(new URL('./app/main.js', import.meta.url));

function files(config: SmppRelayConfig): FileReference[] {
  const references: FileReference[] = [];
  if (config.kannelConf !== undefined) references.push({ field: ['kannelConf'], path: config.kannelConf, secret: true });
  (config.smsc ?? []).forEach((link, index) => references.push({ field: ['smsc', index, 'passwordFile'], path: link.passwordFile, secret: true }));
  (config.users ?? []).forEach((user, index) => references.push({ field: ['users', index, 'passwordFile'], path: user.passwordFile, secret: true }));
  if (config.core.statusPasswordFile) references.push({ field: ['core', 'statusPasswordFile'], path: config.core.statusPasswordFile, secret: true });
  if (config.trustedCaFile) references.push({ field: ['trustedCaFile'], path: config.trustedCaFile, secret: false });
  if (config.clientCertKeyFile) references.push({ field: ['clientCertKeyFile'], path: config.clientCertKeyFile, secret: true });
  return references;
}

/** Keys of a user's kannel.conf that name files on the build host, which the image would not have. */
const HOST_PATH_KEYS: Record<string, string> = {
  'ssl-trusted-ca-file': 'trustedCaFile',
  'ssl-client-certkey-file': 'clientCertKeyFile',
};

function kannelConfIssues(config: SmppRelayConfig, read: readonly ReadFile[]): OverlayIssue[] {
  const conf = read.find((entry) => entry.field[0] === 'kannelConf');
  if (conf?.content === undefined) return [];
  const parsed = parseUserConf(conf.content, conf.path);
  const issues = [...parsed.issues, ...readSettings(parsed.groups, conf.path).issues].filter((issue) => issue.severity === 'error');
  const messages = issues.map((issue) => formatIssue(issue));
  for (const group of parsed.groups) {
    for (const entry of group.entries) {
      const field = HOST_PATH_KEYS[entry.key];
      if (field) messages.push(`${conf.path}:${entry.origin.line}: ${entry.key} names a file on this machine, not in the image: remove it and give the file as overlays.smpp-relay.${field}`);
    }
  }
  const yamlSettings = (['smsc', 'users'] as const).filter((key) => config[key] !== undefined);
  if (yamlSettings.length > 0) messages.push(`the settings come from ${conf.path}; remove ${yamlSettings.join(' and ')} here, or kannelConf`);
  return messages.map((message) => ({ field: ['kannelConf'], message }));
}

/** The relay's own checks on the kannel.conf written from mcdebian.yaml, each pointed at its field. */
function yamlIssues(config: SmppRelayConfig, read: readonly ReadFile[]): OverlayIssue[] {
  if (!config.smsc?.length) return [{ field: ['smsc'], message: 'no SMSC to relay to: give at least one link here, or kannelConf' }];
  if (!config.users?.length) return [{ field: ['users'], message: 'no sendsms account: give at least one here, or kannelConf' }];
  const sources: ConfSource[] = confSources(config, read);
  const { text, fieldOfLine } = renderConf(sources);
  const parsed = parseUserConf(text, 'mcdebian.yaml');
  return readSettings(parsed.groups, 'mcdebian.yaml').issues
    .filter((issue) => issue.severity === 'error')
    .map((issue) => ({ field: fieldOfLine.get(issue.line) ?? [], message: issue.message }));
}

function validate(config: SmppRelayConfig, read: readonly ReadFile[]): OverlayIssue[] {
  return config.kannelConf === undefined ? yamlIssues(config, read) : kannelConfIssues(config, read);
}

export const smppRelay = defineOverlay<SmppRelayConfig>({
  name: 'smpp-relay',
  summary: 'SMPP relay replacing Kannel: its kannel.conf, routing and sendsms API, link health, nothing lost on a crash',
  architectures: ['armhf', 'amd64'],
  schema: smppRelaySchema,
  packages: () => [],
  nodeServices: [{ entry: APP_ENTRY, path: APP_PATH }],
  files,
  validate,
  render: renderSmppRelay,
  status: smppRelayStatus,
});
