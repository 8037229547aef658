/**
 * dns-blacklist's files: BIND's options and policy zone (its seed installed once by
 * systemd-tmpfiles, so later changes live in the zone's journal), the admin service's config
 * and unit, its secrets handed over by LoadCredential, a first-boot unit that gives each device
 * its own rndc key, and a wrapper for the service's command-line modes on the device.
 */
import type { LayerFile } from '../../rootfs/configure.js';
import { fileFor, secretFile, type OverlayContext, type OverlayRender, type ReadFile } from '../overlay.js';
import { checkDomain } from './app/domain.js';
import { parseHostsFile } from './app/hosts.js';
import { checkPolicyZoneArgv, DEBIAN_PATHS, POLICY_ZONE, renderNamedLocal, renderNamedOptions, renderPolicyZone, type BlockAction, type NamedSettings } from './named.js';
import { defaultSink, type DnsBlacklistConfig } from './schema.js';
import { adminServiceUnit, APP_PATH, bindKeysUnit, UNITS } from './units.js';

const SEED_ZONE = `/usr/share/mcdebian/dns-blacklist/${POLICY_ZONE}.db`;
export const ADMIN_CONFIG = '/etc/mcdebian/dns-blacklist/admin.json';
const SECRETS = '/etc/mcdebian/secrets/dns-blacklist';
const TLS_CERTIFICATE = '/etc/mcdebian/dns-blacklist/tls.crt';
/** The service's system user. */
export const SERVICE_USER = 'dnsbl';

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });
const addressOf = (cidr: string) => cidr.split('/')[0]!;

/** The network of an address with its prefix: 192.168.1.1/24 -> 192.168.1.0/24. */
export function networkOf(cidr: string): string {
  const [address = '', prefix = '32'] = cidr.split('/');
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const bits = Number(prefix);
  const network = bits === 0 ? 0 : value - (value % 2 ** (32 - bits));
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${bits}`;
}

export function blockAction(config: DnsBlacklistConfig, context: OverlayContext): BlockAction {
  const sink = config.sink ?? defaultSink(context.board.network.kind);
  if (sink === 'nxdomain') return { kind: 'nxdomain' };
  return { kind: 'sink', address: sink === 'lan' ? addressOf(context.lanAddress) : sink };
}

export function namedSettings(config: DnsBlacklistConfig, context: OverlayContext): NamedSettings {
  const router = context.board.network.kind === 'router';
  return {
    listenOn: config.listenOn ?? (router ? [addressOf(context.lanAddress), '127.0.0.1'] : ['any']),
    port: 53,
    allowed: config.allow ?? (router ? [networkOf(context.lanAddress)] : ['localnets']),
    forwarders: config.forwarders.map((forwarder) => forwarder.replace(':', ' port ')),
    dnssecValidation: config.dnssecValidation,
    rateLimit: config.rateLimit,
    policyTtl: config.policyTtl,
  };
}

/** The seed: the config's list and the seed file's, normalised (the loader has refused bad entries). */
function seedDomains(config: DnsBlacklistConfig, files: readonly ReadFile[]): string[] {
  const fromList = config.seed.map((entry) => checkDomain(entry, POLICY_ZONE)).flatMap((check) => (check.ok ? [check.domain] : []));
  const seedFile = files.find((entry) => entry.field[0] === 'seedFile');
  const fromFile = seedFile?.content === undefined ? [] : parseHostsFile(seedFile.content, POLICY_ZONE).domains;
  return [...new Set([...fromList, ...fromFile])];
}

/** The admin service's own config (the shape app/config.ts checks). */
export function renderAdminConfig(config: DnsBlacklistConfig, context: OverlayContext): string {
  const action = blockAction(config, context);
  const router = context.board.network.kind === 'router';
  const listen = config.api.listen ?? (router ? addressOf(context.lanAddress) : '0.0.0.0');
  const admin = {
    zone: POLICY_ZONE,
    server: { address: '127.0.0.1', port: 53 },
    tsigKeyFile: '%d/session-key',
    action,
    ttl: config.policyTtl,
    api: {
      listen,
      port: config.api.port,
      user: config.api.user,
      passwordHashFile: '%d/password-hash',
      tls: config.api.tls ? { certFile: TLS_CERTIFICATE, keyFile: '%d/tls-key' } : null,
    },
    blockedPage: config.blockedPage.enabled && action.kind === 'sink' ? { listen: action.address, port: config.blockedPage.port } : null,
  };
  return `${JSON.stringify(admin, null, 2)}\n`;
}

/** Runs the service's command-line modes as root with the credentials systemd would hand it. */
const WRAPPER = `#!/bin/sh
# McDebian dns-blacklist on the device: import FILE, hash-password, health (see ${APP_PATH} --help)
set -e
credentials=$(mktemp -d)
trap 'rm -rf "$credentials"' EXIT
ln -s ${DEBIAN_PATHS.sessionKeyFile} "$credentials/session-key"
ln -s ${SECRETS}/password-hash "$credentials/password-hash"
[ ! -e ${SECRETS}/tls-key ] || ln -s ${SECRETS}/tls-key "$credentials/tls-key"
CREDENTIALS_DIRECTORY=$credentials /usr/bin/node ${APP_PATH} "$@" --config ${ADMIN_CONFIG}
`;

export function renderDnsBlacklist(config: DnsBlacklistConfig, files: readonly ReadFile[], context: OverlayContext): OverlayRender {
  const settings = namedSettings(config, context);
  const action = blockAction(config, context);
  const seed = seedDomains(config, files);
  const tls = config.api.tls ? { certificate: fileFor(files, 'api.tls.certificate'), key: fileFor(files, 'api.tls.key') } : undefined;
  const layer: LayerFile[] = [
    file('/etc/bind/named.conf.options', renderNamedOptions(settings)),
    file('/etc/bind/named.conf.local', renderNamedLocal()),
    file(SEED_ZONE, renderPolicyZone(seed, action, config.policyTtl)),
    // installed once: later changes are dynamic updates, kept in the zone's journal across reboots
    file('/usr/lib/tmpfiles.d/mcdebian-dns-blacklist.conf', `C ${DEBIAN_PATHS.zoneFile} - - - - ${SEED_ZONE}\nz ${DEBIAN_PATHS.zoneFile} 0644 bind bind -\n`),
    file('/usr/lib/sysusers.d/mcdebian-dns-blacklist.conf', `u ${SERVICE_USER} - "McDebian dns-blacklist admin" /nonexistent /usr/sbin/nologin\n`),
    file(ADMIN_CONFIG, renderAdminConfig(config, context)),
    secretFile(`${SECRETS}/password-hash`, fileFor(files, 'api.passwordHash'), 'dns-blacklist'),
    ...(tls ? [file(TLS_CERTIFICATE, tls.certificate.content ?? ''), secretFile(`${SECRETS}/tls-key`, tls.key, 'dns-blacklist')] : []),
    file(`/etc/systemd/system/${UNITS.admin}`, adminServiceUnit({ tls: tls !== undefined, secrets: SECRETS, config: ADMIN_CONFIG, user: SERVICE_USER })),
    file(`/etc/systemd/system/${UNITS.bindKeys}`, bindKeysUnit()),
    file('/usr/sbin/mcdebian-dns-blacklist', WRAPPER, 0o755),
  ];
  return {
    files: layer,
    units: ['named.service', UNITS.bindKeys, UNITS.admin],
    checks: [
      { description: 'named-checkconf reads the configuration', argv: ['named-checkconf', '/etc/bind/named.conf'] },
      { description: 'named-checkzone loads the seeded policy zone as named will', argv: checkPolicyZoneArgv(SEED_ZONE) },
      { description: 'the image\'s nodejs parses the bundled service', argv: ['node', '--check', APP_PATH] },
      { description: `the ${SERVICE_USER} user exists`, argv: ['id', SERVICE_USER] },
    ],
    outputs: [],
    notes: [`${seed.length} seeded domains; blocked names answer ${action.kind === 'sink' ? action.address : 'NXDOMAIN'}; recursion for ${settings.allowed.join(', ')} and localhost; API on ${config.api.listen ?? 'the default address'}:${config.api.port}${tls ? ' (TLS)' : ''}`],
  };
}
