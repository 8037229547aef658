/**
 * The kannel.conf the device runs: the user's own, or one written from mcdebian.yaml, with
 * what only the device can know put in (where the store, the CA file and the client key are in
 * the image; on routers, the LAN address for the HTTP servers when none is given). Every line
 * written remembers the mcdebian.yaml field it came from, so a problem the relay's own checks
 * find points at the field.
 */
import type { OverlayContext, OverlayField, ReadFile } from '../overlay.js';
import { parseKannelConf, type ConfGroup } from './app/kannel-conf.js';
import type { LinkConfig, SmppRelayConfig, UserConfig } from './schema.js';

/** Paths in the image. */
export const DEVICE = {
  store: '/var/lib/mcdebian-smpp-relay/messages',
  trustedCa: '/etc/mcdebian/smpp-relay/trusted-ca.pem',
  credentials: '/run/credentials/mcdebian-smpp-relay.service',
} as const;

/** A group to write: its name and `key = value` lines, each with the field it came from. */
export interface ConfSource {
  name: string;
  field: OverlayField;
  entries: { key: string; value: string; field: OverlayField }[];
}

/** Kannel's quoting (cfg.c parse_value): a value in double quotes with `\` and `"` escaped. */
export function quoteValue(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

const secretOf = (files: readonly ReadFile[], field: OverlayField) => (files.find((file) => file.field.join('.') === field.join('.'))?.content ?? '').split('\n')[0]!.trim();

function entriesOf(pairs: readonly [key: string, value: unknown, field: OverlayField][]): ConfSource['entries'] {
  return pairs.flatMap(([key, value, field]) => {
    if (value === undefined) return [];
    const text = Array.isArray(value) ? value.join(';') : typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
    return [{ key, value: text, field }];
  });
}

function linkGroup(link: LinkConfig, index: number, files: readonly ReadFile[]): ConfSource {
  const at = (key: string): OverlayField => ['smsc', index, key];
  return {
    name: 'smsc',
    field: ['smsc', index],
    entries: entriesOf([
      ['smsc', 'smpp', ['smsc', index]], ['smsc-id', link.smscId, at('smscId')], ['smsc-admin-id', link.adminId, at('adminId')],
      ['host', link.host, at('host')], ['port', link.port, at('port')], ['use-ssl', link.tls, at('tls')],
      ['transceiver-mode', link.transceiverMode, at('transceiverMode')], ['smsc-username', link.username, at('username')],
      ['smsc-password', secretOf(files, at('passwordFile')), at('passwordFile')], ['system-type', link.systemType ?? '', at('systemType')],
      ['address-range', link.addressRange, at('addressRange')], ['source-addr-ton', link.sourceAddrTon, at('sourceAddrTon')],
      ['source-addr-npi', link.sourceAddrNpi, at('sourceAddrNpi')], ['dest-addr-ton', link.destAddrTon, at('destAddrTon')],
      ['dest-addr-npi', link.destAddrNpi, at('destAddrNpi')], ['enquire-link-interval', link.enquireLinkInterval, at('enquireLinkInterval')],
      ['max-pending-submits', link.maxPendingSubmits, at('maxPendingSubmits')], ['reconnect-delay', link.reconnectDelay, at('reconnectDelay')],
      ['throughput', link.throughput, at('throughput')], ['wait-ack', link.waitAck, at('waitAck')],
      ['wait-ack-expire', link.waitAckExpire && { reconnect: 0, requeue: 1, wait: 2 }[link.waitAckExpire], at('waitAckExpire')],
      ['allowed-smsc-id', link.allowedSmscIds, at('allowedSmscIds')], ['denied-smsc-id', link.deniedSmscIds, at('deniedSmscIds')],
      ['preferred-smsc-id', link.preferredSmscIds, at('preferredSmscIds')], ['msg-id-type', link.msgIdType, at('msgIdType')],
      ['health-failures', link.healthFailures, at('healthFailures')], ['health-probe-delay', link.healthProbeDelay, at('healthProbeDelay')],
    ]),
  };
}

function userGroup(user: UserConfig, index: number, files: readonly ReadFile[]): ConfSource {
  const at = (key: string): OverlayField => ['users', index, key];
  return {
    name: 'sendsms-user',
    field: ['users', index],
    entries: entriesOf([
      ['username', user.username, at('username')], ['password', secretOf(files, at('passwordFile')), at('passwordFile')],
      ['name', user.name, at('name')], ['default-smsc', user.defaultSmsc, at('defaultSmsc')], ['forced-smsc', user.forcedSmsc, at('forcedSmsc')],
      ['default-sender', user.defaultSender, at('defaultSender')], ['faked-sender', user.fakedSender, at('fakedSender')],
      ['max-messages', user.maxMessages, at('maxMessages')], ['concatenation', user.concatenation, at('concatenation')],
      ['user-allow-ip', user.allowIp, at('allowIp')], ['user-deny-ip', user.denyIp, at('denyIp')], ['dlr-url', user.dlrUrl, at('dlrUrl')],
    ]),
  };
}

/** The groups mcdebian.yaml's settings stand for. */
export function sourcesFromYaml(config: SmppRelayConfig, files: readonly ReadFile[]): ConfSource[] {
  const { core, sendsms } = config;
  return [
    {
      name: 'core',
      field: ['core'],
      entries: entriesOf([
        ['admin-port', core.adminPort, ['core', 'adminPort']], ['admin-interface', core.adminInterface, ['core', 'adminInterface']],
        ['status-password', core.statusPasswordFile && secretOf(files, ['core', 'statusPasswordFile']), ['core', 'statusPasswordFile']],
        ['sms-resend-freq', core.smsResendFreq, ['core', 'smsResendFreq']], ['sms-resend-retry', core.smsResendRetry, ['core', 'smsResendRetry']],
        ['sms-outgoing-queue-limit', core.smsOutgoingQueueLimit, ['core', 'smsOutgoingQueueLimit']], ['dlr-expiry', core.dlrExpiry, ['core', 'dlrExpiry']],
      ]),
    },
    {
      name: 'smsbox',
      field: ['sendsms'],
      entries: entriesOf([
        ['sendsms-port', sendsms.port, ['sendsms', 'port']], ['sendsms-interface', sendsms.interface, ['sendsms', 'interface']],
        ['global-sender', sendsms.globalSender, ['sendsms', 'globalSender']], ['sendsms-chars', sendsms.chars, ['sendsms', 'chars']],
      ]),
    },
    ...(config.smsc ?? []).map((link, index) => linkGroup(link, index, files)),
    ...(config.users ?? []).map((user, index) => userGroup(user, index, files)),
  ];
}

/** The groups of a user's kannel.conf, as sources pointing at the `kannelConf` field. */
export function sourcesFromKannel(groups: readonly ConfGroup[]): ConfSource[] {
  return groups.map((group) => ({ name: group.name, field: ['kannelConf'], entries: group.entries.map((entry) => ({ key: entry.key, value: entry.value, field: ['kannelConf'] })) }));
}

/** Sets a key of the first group with this name (added when missing). */
function setKey(sources: ConfSource[], group: string, key: string, value: string): void {
  const target = sources.find((source) => source.name === group);
  if (!target) return;
  const entries = target.entries.filter((entry) => entry.key !== key);
  target.entries = [...entries, { key, value, field: target.field }];
}

/** What only the device knows: the store's place, the TLS files' places, the LAN address. */
export function forDevice(sources: readonly ConfSource[], options: { context: OverlayContext; trustedCa: boolean; clientCertKey: boolean }): ConfSource[] {
  const copy = sources.map((source) => ({ ...source, entries: source.entries.filter((entry) => !['store-location', 'store-file', 'store-type'].includes(entry.key)) }));
  setKey(copy, 'core', 'store-location', `${DEVICE.store}/`);
  if (options.trustedCa) setKey(copy, 'core', 'ssl-trusted-ca-file', DEVICE.trustedCa);
  if (options.clientCertKey) setKey(copy, 'core', 'ssl-client-certkey-file', `${DEVICE.credentials}/client-certkey`);
  if (options.context.board.network.kind === 'router') {
    const lan = options.context.lanAddress.split('/')[0]!;
    const has = (group: string, key: string) => copy.find((source) => source.name === group)?.entries.some((entry) => entry.key === key);
    if (!has('smsbox', 'sendsms-interface')) setKey(copy, 'smsbox', 'sendsms-interface', lan);
    if (!has('core', 'admin-interface')) setKey(copy, 'core', 'admin-interface', lan);
  }
  return copy;
}

/** The kannel.conf text, and for each of its lines the field it came from. */
export function renderConf(sources: readonly ConfSource[]): { text: string; fieldOfLine: Map<number, OverlayField> } {
  const lines = ['# Written by McDebian from mcdebian.yaml (overlays.smpp-relay); the relay reads it on the device.', ''];
  const fieldOfLine = new Map<number, OverlayField>();
  for (const source of sources) {
    fieldOfLine.set(lines.length + 1, source.field);
    lines.push(`group = ${source.name}`);
    for (const entry of source.entries) {
      fieldOfLine.set(lines.length + 1, entry.field);
      lines.push(`${entry.key} = ${quoteValue(entry.value)}`);
    }
    lines.push('');
  }
  return { text: lines.join('\n'), fieldOfLine };
}

/** A user's kannel.conf as groups; `include` is refused, as the build cannot bring the included files. */
export function parseUserConf(content: string, path: string) {
  return parseKannelConf(content, {
    file: path,
    readFile: () => {
      throw new Error('an include cannot be built into the image: copy the included groups into this file');
    },
  });
}
