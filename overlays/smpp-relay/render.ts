/**
 * smpp-relay's files: the kannel.conf the relay runs (root's, mode 0600, handed to the service
 * as a credential: it holds the SMSC and account passwords), the trusted CAs and client key for
 * TLS upstreams, the unit and its system user, and a `mcdebian-smpp-relay` command for the
 * relay's check on the device.
 */
import type { LayerFile } from '../../rootfs/configure.js';
import { fileFor, type OverlayContext, type OverlayRender, type ReadFile } from '../overlay.js';
import { readSettings } from './app/settings.js';
import { DEVICE, forDevice, parseUserConf, renderConf, sourcesFromKannel, sourcesFromYaml, type ConfSource } from './conf.js';
import type { SmppRelayConfig } from './schema.js';
import { APP_PATH, CLIENT_KEY_SECRET, CONF_SECRET, relayUnit, SERVICE_USER, UNIT } from './units.js';

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });

/** The groups the config stands for, before the device's own settings. */
export function confSources(config: SmppRelayConfig, files: readonly ReadFile[]): ConfSource[] {
  if (config.kannelConf === undefined) return sourcesFromYaml(config, files);
  const conf = fileFor(files, 'kannelConf');
  return sourcesFromKannel(parseUserConf(conf.content ?? '', conf.path).groups);
}

const WRAPPER = `#!/bin/sh
# McDebian smpp-relay on the device: what the relay makes of its configuration
exec /usr/bin/node ${APP_PATH} check --config ${CONF_SECRET} "$@"
`;

/** What the manifest says of the kannel.conf: the files whose secrets it holds. */
function confSecret(files: readonly ReadFile[]): NonNullable<LayerFile['secret']> {
  const secrets = files.filter((entry) => entry.secret && entry.field[0] !== 'clientCertKeyFile');
  return { overlay: 'smpp-relay', field: secrets.map((entry) => entry.field.join('.')).join(', '), source: secrets.map((entry) => entry.file).join(', ') };
}

function valueOf(sources: readonly ConfSource[], group: string, key: string): string | undefined {
  return sources.find((source) => source.name === group)?.entries.find((entry) => entry.key === key)?.value;
}

export function renderSmppRelay(config: SmppRelayConfig, files: readonly ReadFile[], context: OverlayContext): OverlayRender {
  const sources = forDevice(confSources(config, files), { context, trustedCa: config.trustedCaFile !== undefined, clientCertKey: config.clientCertKeyFile !== undefined });
  const conf = renderConf(sources).text;
  const ports = [valueOf(sources, 'smsbox', 'sendsms-port') ?? '13013', valueOf(sources, 'core', 'admin-port') ?? '13000'].map(Number);
  const source = config.kannelConf === undefined ? 'mcdebian.yaml' : fileFor(files, 'kannelConf').path;
  const layer: LayerFile[] = [
    { path: CONF_SECRET, content: conf, mode: 0o600, secret: confSecret(files) },
    file('/usr/lib/sysusers.d/mcdebian-smpp-relay.conf', `u ${SERVICE_USER} - "McDebian smpp-relay" /nonexistent /usr/sbin/nologin\n`),
    file(`/etc/systemd/system/${UNIT}`, relayUnit({ clientCertKey: config.clientCertKeyFile !== undefined, privilegedPort: ports.some((port) => port < 1024) })),
    file('/usr/sbin/mcdebian-smpp-relay', WRAPPER, 0o755),
  ];
  if (config.trustedCaFile) layer.push(file(DEVICE.trustedCa, fileFor(files, 'trustedCaFile').content ?? ''));
  if (config.clientCertKeyFile) {
    const key = fileFor(files, 'clientCertKeyFile');
    layer.push({ path: CLIENT_KEY_SECRET, content: key.content ?? '', mode: 0o600, secret: { overlay: 'smpp-relay', field: 'clientCertKeyFile', source: key.file } });
  }
  // the relay's warnings about the conf (an id no link has, a key without effect) show in plan and build
  const warnings = readSettings(parseUserConf(conf, 'kannel.conf').groups, 'kannel.conf').issues.filter((issue) => issue.severity === 'warning');
  const links = sources.filter((group) => group.name === 'smsc').map((group) => `${group.entries.find((entry) => entry.key === 'smsc-id')?.value ?? '?'} ${group.entries.find((entry) => entry.key === 'host')?.value ?? '?'}`);
  return {
    files: layer,
    units: [UNIT],
    checks: [
      { description: 'the image\'s nodejs parses the bundled relay', argv: ['node', '--check', APP_PATH] },
      { description: 'the relay reads its kannel.conf with no error', argv: ['node', APP_PATH, 'check', '--config', CONF_SECRET] },
      { description: `the ${SERVICE_USER} user exists`, argv: ['id', SERVICE_USER] },
    ],
    outputs: [],
    notes: [...warnings.map((issue) => `warning: ${issue.message}`), `from ${source}: ${links.length} links (${links.join(', ')}), sendsms on ${valueOf(sources, 'smsbox', 'sendsms-interface') ?? 'all addresses'}:${ports[0]}, status on ${valueOf(sources, 'core', 'admin-interface') ?? 'all addresses'}:${ports[1]}`],
  };
}
