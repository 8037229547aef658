/**
 * smpp smsc groups -> LinkSettings: the bind keys, the pairs and lists Kannel reads together,
 * the copies `instances` asks for, and a unique name for each link.
 */
import { where, type ConfGroup } from './kannel-conf.js';
import { defined, issueAt, readGroup, report, valueOf, warnAt, type GroupValues, type Issues } from './settings-groups.js';
import type { LinkSettings } from './types.js';

/** One link from an smsc group: its settings, its group as read (for issues at its lines), and which copy it is. */
export interface LinkDraft {
  settings: LinkSettings;
  read: GroupValues;
  /** 1 for the group's first link; 2... for the copies `instances` asks for. */
  copy: number;
}

/** The links of one smsc group: none when it is not SMPP or cannot bind; several with `instances`. */
export function readLinkGroup(group: ConfGroup, issues: Issues): LinkDraft[] {
  const type = group.entries.find((entry) => entry.key === 'smsc');
  if (!type) {
    report(issues, group.origin, 'smsc', 'smsc is missing: the relay speaks SMPP, so write smsc = smpp', { key: 'smsc' });
    return [];
  }
  if (type.value !== 'smpp') {
    const hint = type.value.toLowerCase() === 'smpp' ? 'write it in lower case, smsc = smpp, as Kannel needs' : 'the relay speaks SMPP only (smsc = smpp): remove this group, or reach that SMSC over SMPP';
    report(issues, type.origin, 'smsc', `smsc = ${type.value} is not supported: ${hint}`, { key: 'smsc' });
    return [];
  }
  const read = readGroup(group, issues);
  const link = buildLink(read, issues);
  if (!link) return [];
  const count = valueOf<number>(read, 'instances') ?? 1;
  if (count === 0) warnAt(read, 'instances', 'instances = 0: this group makes no link, as in Kannel', issues);
  return Array.from({ length: count }, (_, index) => ({ settings: { ...link }, read, copy: index + 1 }));
}

function buildLink(read: GroupValues, issues: Issues): LinkSettings | undefined {
  const v = <T>(key: string) => valueOf<T>(read, key);
  const host = v<string>('host');
  const username = bindUsername(read, issues);
  if (host === '') issueAt(read, 'host', 'host is empty: give the SMSC\'s address', issues);
  const password = v<string>('smsc-password');
  if (!host || username === undefined || password === undefined) return undefined;
  const port = v<number>('port') ?? 2775;
  const systemType = v<string>('system-type') ?? '';
  warnMissingBindKeys(read, issues);
  // conn->name in gw/smsc/smsc_smpp.c, which Kannel also uses as the id when smsc-id is absent
  const kannelName = `${v<boolean>('use-ssl') ? 'S' : ''}SMPP:${host}:${port}/${v<boolean>('transceiver-mode') ? port : 0}:${username}:${systemType}`;
  const smscId = read.entries.get('smsc-id')?.value;
  if (smscId === undefined) warnAt(read, 'smsc-id', `smsc-id is missing: the link is called "${kannelName}", as in Kannel; set smsc-id, which Kannel needs for delivery receipts`, issues);
  return defined({
    origin: read.group.origin,
    name: read.entries.get('smsc-admin-id')?.value ?? smscId ?? kannelName,
    smscId: smscId ?? kannelName,
    host, port,
    tls: v<boolean>('use-ssl') ?? false,
    transceiver: v<boolean>('transceiver-mode') ?? false,
    systemId: username, password, systemType,
    addressRange: v<string>('address-range') ?? '',
    ...addressPair(read, 'source', issues),
    ...addressPair(read, 'dest', issues),
    ...linkTimings(read),
    ...smscIdLists(read, issues),
    msgIdType: v<number>('msg-id-type'),
  });
}

function linkTimings(read: GroupValues) {
  const number = (key: string, fallback: number) => valueOf<number>(read, key) ?? fallback;
  return {
    enquireLinkInterval: number('enquire-link-interval', 30),
    maxPendingSubmits: number('max-pending-submits', 10),
    reconnectDelay: number('reconnect-delay', 10),
    throughput: number('throughput', 0),
    waitAck: number('wait-ack', 60),
    waitAckExpire: valueOf<LinkSettings['waitAckExpire']>(read, 'wait-ack-expire') ?? 'requeue',
    connectionTimeout: number('connection-timeout', 300),
    healthFailures: number('health-failures', 3),
    healthProbeDelay: number('health-probe-delay', 5),
  };
}

/** smsc-username, or the obsolete system-id that Kannel falls back to. */
function bindUsername(read: GroupValues, issues: Issues): string | undefined {
  const username = valueOf<string>(read, 'smsc-username');
  const systemId = valueOf<string>(read, 'system-id');
  if (systemId !== undefined) {
    const effect = username === undefined ? 'used as smsc-username, as Kannel does' : 'ignored next to smsc-username';
    warnAt(read, 'system-id', `system-id is obsolete in Kannel (${effect}): write smsc-username`, issues);
  }
  if (username === undefined && systemId === undefined) issueAt(read, 'smsc-username', 'smsc-username is missing: the system_id the relay binds with', issues);
  return username ?? systemId;
}

function warnMissingBindKeys(read: GroupValues, issues: Issues): void {
  if (!read.entries.has('port')) warnAt(read, 'port', 'port is missing: the relay uses 2775, as Kannel does', issues);
  if (!read.entries.has('system-type')) {
    warnAt(read, 'system-type', 'system-type is missing: Kannel 1.4.5 refuses an smpp group without it; the relay binds with an empty one (write system-type = "" to keep the file valid for Kannel)', issues);
  }
}

/** source-addr-ton/npi or dest-addr-ton/npi: Kannel forces them only as a pair (gw/smsc/smsc_smpp.c, msg_to_pdu). */
function addressPair(read: GroupValues, which: 'source' | 'dest', issues: Issues): Partial<LinkSettings> {
  const ton = valueOf<number>(read, `${which}-addr-ton`);
  const npi = valueOf<number>(read, `${which}-addr-npi`);
  if (ton === undefined && npi === undefined) return {};
  if (ton === undefined || npi === undefined) {
    const [given, missing] = ton === undefined ? ['npi', 'ton'] : ['ton', 'npi'];
    warnAt(read, `${which}-addr-${given}`, `${which}-addr-${given} has no effect without ${which}-addr-${missing}: Kannel uses the two only together`, issues);
    return {};
  }
  return which === 'source' ? { sourceAddrTon: ton, sourceAddrNpi: npi } : { destAddrTon: ton, destAddrNpi: npi };
}

function smscIdLists(read: GroupValues, issues: Issues): Partial<LinkSettings> {
  const allowedSmscIds = valueOf<string[]>(read, 'allowed-smsc-id');
  let deniedSmscIds = valueOf<string[]>(read, 'denied-smsc-id');
  if (allowedSmscIds && deniedSmscIds) {
    warnAt(read, 'denied-smsc-id', 'denied-smsc-id has no effect next to allowed-smsc-id (Kannel ignores it too)', issues);
    deniedSmscIds = undefined;
  }
  return { allowedSmscIds, deniedSmscIds, preferredSmscIds: valueOf<string[]>(read, 'preferred-smsc-id') };
}

/**
 * Unique names: smsc-admin-id, else smsc-id, else Kannel's connection name; repeats get #2, #3...
 * An explicit admin-id keeps its name even when a repeat earlier in the file would have taken it.
 */
export function nameLinks(drafts: LinkDraft[], issues: Issues): void {
  const owners = new Map<string, LinkDraft>();
  for (const draft of drafts) {
    const adminId = draft.read.entries.get('smsc-admin-id')?.value.toLowerCase();
    if (adminId !== undefined && !owners.has(adminId)) owners.set(adminId, draft);
  }
  const taken = new Set(owners.keys());
  for (const draft of drafts) {
    const base = draft.settings.name;
    if (owners.get(base.toLowerCase()) === draft) continue;
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}#${n}`;
    taken.add(name.toLowerCase());
    draft.settings.name = name;
    if (name !== base && draft.copy === 1 && draft.read.entries.has('smsc-admin-id')) {
      const first = owners.get(base.toLowerCase())?.read.group.origin;
      warnAt(draft.read, 'smsc-admin-id', `smsc-admin-id ${base} is already the link at ${first ? where(first) : 'another group'} (Kannel allows this, but does not recommend it): this link is called ${name}`, issues);
    }
  }
}
