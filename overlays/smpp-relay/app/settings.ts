/**
 * kannel.conf groups -> the relay's settings. The rules for every key are in config-keys.ts;
 * here each group is read against them, the groups are counted (one core, one smsbox, at least
 * one smpp smsc and one sendsms-user), and checked against each other (ids that name no link,
 * repeated usernames, link names). Everything wrong is listed, not just the first thing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { didYouMean } from '../../../build/core/suggest.js';
import { GROUP_KEYS, REFUSED_GROUPS, type KeyTable } from './config-keys.js';
import { parseKannelConf, where, type ConfEntry, type ConfGroup, type ConfigIssue } from './kannel-conf.js';
import type { CoreSettings, LinkSettings, Origin, RelaySettings, SmsboxSettings, UserSettings } from './types.js';

export type { ConfigIssue } from './kannel-conf.js';

/** What a config gives: the settings when no issue is an error, and every issue found. */
export interface SettingsResult {
  settings?: RelaySettings;
  issues: ConfigIssue[];
}

/** One group's keys read against its table: the parsed values of implemented keys, and each key's line. */
interface GroupValues {
  group: ConfGroup;
  table: KeyTable;
  values: Map<string, unknown>;
  entries: Map<string, ConfEntry>;
}

interface LinkDraft {
  settings: LinkSettings;
  read: GroupValues;
  /** 1 for the group's first link; 2... for the copies `instances` asks for. */
  copy: number;
}

interface UserDraft {
  settings: UserSettings;
  read: GroupValues;
}

type Issues = ConfigIssue[];

/** Reads kannel.conf at `path` (and its includes) into settings. */
export function loadKannelConf(path: string, readFile: (path: string) => string = readTextFile): SettingsResult {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    return { issues: [{ file: path, line: 0, group: '', severity: 'error', message: `cannot read ${path}: ${(error as Error).message}` }] };
  }
  // Directories are included file by file; an injected reader (tests) has files only.
  const listDirectory = readFile === readTextFile ? listFiles : undefined;
  const parsed = parseKannelConf(text, { file: path, readFile, ...(listDirectory ? { listDirectory } : {}) });
  const read = readSettings(parsed.groups, path);
  const issues = inFileOrder([...parsed.issues, ...read.issues], [path, ...parsed.groups.map((group) => group.origin.file)]);
  return issues.some(isError) || !read.settings ? { issues } : { settings: read.settings, issues };
}

/** The settings from parsed groups; `file` names the config in issues about it as a whole (line 0). */
export function readSettings(groups: readonly ConfGroup[], file = groups[0]?.origin.file ?? 'kannel.conf'): SettingsResult {
  const issues: Issues = [];
  const byName = sortGroups(groups, issues);
  const whole = { file, line: 0 };
  const core = readSingle('core', byName, whole, issues);
  if (core) checkCore(core, issues);
  const smsbox = readSingle('smsbox', byName, whole, issues);
  const errorsBefore = issues.filter(isError).length;
  const links = (byName.get('smsc') ?? []).flatMap((group) => readLinkGroup(group, issues));
  // smsc groups that failed have said why; the count matters only when none did
  const linkErrors = issues.filter(isError).length > errorsBefore;
  const users = (byName.get('sendsms-user') ?? []).map((group) => buildUser(readGroup(group, issues), issues));
  if (links.length === 0 && !linkErrors) report(issues, whole, '', 'the relay needs at least one "group = smsc" with "smsc = smpp"');
  if (users.length === 0) report(issues, whole, '', 'the relay needs at least one "group = sendsms-user": sendsms refuses every request without one');
  nameLinks(links, issues);
  checkUsernames(users, issues);
  checkIds(links, users, issues);
  const sorted = inFileOrder(issues, groups.map((group) => group.origin.file));
  if (issues.some(isError) || !core || !smsbox) return { issues: sorted };
  const settings = { core: buildCore(core), smsbox: buildSmsbox(smsbox), links: links.map((draft) => draft.settings), users: users.map((draft) => draft.settings) };
  return { settings, issues: sorted };
}

/** `file:line: severity: group NAME: message`, the way the relay logs an issue. */
export function formatIssue(issue: ConfigIssue): string {
  const line = issue.line > 0 ? `:${issue.line}` : '';
  return `${issue.file}${line}: ${issue.severity}: ${issue.group ? `group ${issue.group}: ` : ''}${issue.message}`;
}

const isError = (issue: ConfigIssue): boolean => issue.severity === 'error';

/** Issues by file (in the order the files were read) and line; those about the config as a whole last. */
function inFileOrder(issues: Issues, files: string[]): Issues {
  const rank = (issue: ConfigIssue) => (issue.line === 0 ? Infinity : files.indexOf(issue.file));
  return [...issues].sort((a, b) => rank(a) - rank(b) || a.line - b.line);
}

function readTextFile(path: string): string {
  return readFileSync(path, 'utf8');
}

function listFiles(path: string): string[] | undefined {
  try {
    if (!statSync(path).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return readdirSync(path, { withFileTypes: true }).filter((entry) => !entry.isDirectory()).map((entry) => entry.name);
}

function report(issues: Issues, origin: Origin, group: string, message: string, more: { key?: string; severity?: 'warning' } = {}): void {
  issues.push({ file: origin.file, line: origin.line, group, ...(more.key === undefined ? {} : { key: more.key }), severity: more.severity ?? 'error', message });
}

/** Groups by name; the ones the relay does not read are reported here. */
function sortGroups(groups: readonly ConfGroup[], issues: Issues): Map<string, ConfGroup[]> {
  const byName = new Map<string, ConfGroup[]>();
  for (const group of groups) {
    if (Object.hasOwn(GROUP_KEYS, group.name)) byName.set(group.name, [...(byName.get(group.name) ?? []), group]);
    else if (Object.hasOwn(REFUSED_GROUPS, group.name)) report(issues, group.origin, group.name, `the relay does not do ${REFUSED_GROUPS[group.name]}: remove this group`, { key: 'group' });
    else report(issues, group.origin, group.name, `"${group.name}" is not a group Kannel knows${didYouMean(group.name, [...Object.keys(GROUP_KEYS), ...Object.keys(REFUSED_GROUPS)])}`, { key: 'group' });
  }
  return byName;
}

/** The one core or smsbox group. Kannel keeps the last of several without a word; the relay refuses them. */
function readSingle(name: string, byName: Map<string, ConfGroup[]>, whole: Origin, issues: Issues): GroupValues | undefined {
  const [first, ...more] = byName.get(name) ?? [];
  if (!first) {
    report(issues, whole, '', `there is no "group = ${name}": the relay needs exactly one`);
    return undefined;
  }
  for (const extra of more) {
    report(issues, extra.origin, name, `a second ${name} group (the first is at ${where(first.origin)}): Kannel would silently use only the last; keep one`, { key: 'group' });
  }
  return readGroup(first, issues);
}

/** Each key of a group checked against its table. */
function readGroup(group: ConfGroup, issues: Issues): GroupValues {
  const table = GROUP_KEYS[group.name] ?? {};
  const read: GroupValues = { group, table, values: new Map(), entries: new Map() };
  for (const entry of group.entries) {
    read.entries.set(entry.key, entry);
    readKey(read, entry, issues);
  }
  for (const [key, rule] of Object.entries(table)) {
    if (rule.status === 'implemented' && rule.required && !read.entries.has(key)) {
      report(issues, group.origin, group.name, `${key} is missing: ${rule.required}`, { key });
    }
  }
  return read;
}

function readKey(read: GroupValues, { key, value, origin }: ConfEntry, issues: Issues): void {
  const name = read.group.name;
  const say = (message: string, severity?: 'warning') => report(issues, origin, name, message, { key, ...(severity ? { severity } : {}) });
  const rule = Object.hasOwn(read.table, key) ? read.table[key] : undefined;
  if (!rule) return say(unknownKey(key, name));
  if (rule.status === 'ignored') return say(`${key} has no effect: ${rule.reason}`, 'warning');
  if (rule.status === 'unsupported') {
    const parsed = rule.harmless?.parser.parse(value);
    if (parsed && 'value' in parsed && parsed.value === rule.harmless?.value) return say(`${key} = ${value} is Kannel's default and changes nothing`, 'warning');
    return say(`${key} is not supported by the relay: ${rule.instead}`);
  }
  const parsed = rule.parser.parse(value);
  if ('error' in parsed) return say(`${key} = "${value}" is not valid: ${parsed.error}`);
  if (parsed.warning) say(`${key} = ${value}: ${parsed.warning}`, 'warning');
  read.values.set(key, parsed.value);
}

function unknownKey(key: string, groupName: string): string {
  const elsewhere = Object.entries(GROUP_KEYS).filter(([name, table]) => name !== groupName && Object.hasOwn(table, key)).map(([name]) => name);
  if (elsewhere.length > 0) return `${key} belongs in group ${elsewhere.join(' or ')}, not in group ${groupName}`;
  return `${key} is not a key of group ${groupName}${didYouMean(key, Object.keys(GROUP_KEYS[groupName] ?? {}))}`;
}

/** A key's value as read, or its default. */
function valueOf<T>(read: GroupValues, key: string): T | undefined {
  const rule = read.table[key];
  if (rule?.status !== 'implemented') throw new Error(`${read.group.name}.${key} is not an implemented key`);
  return (read.values.has(key) ? read.values.get(key) : rule.default) as T | undefined;
}

/** Drops undefined fields, so that an absent key leaves no field behind. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

function buildCore(read: GroupValues): CoreSettings {
  const v = <T>(key: string) => valueOf<T>(read, key);
  return defined({
    adminPort: v<number>('admin-port') ?? 0,
    adminInterface: v<string>('admin-interface'),
    adminPassword: v<string>('admin-password'),
    statusPassword: v<string>('status-password'),
    adminAllowIp: v<string>('admin-allow-ip'),
    adminDenyIp: v<string>('admin-deny-ip'),
    // gw/bearerbox.c: store-file, where given, wins over store-location
    storeLocation: v<string>('store-file') ?? v<string>('store-location'),
    smsResendFreq: v<number>('sms-resend-freq') ?? 60,
    smsResendRetry: v<number>('sms-resend-retry') ?? -1,
    smsOutgoingQueueLimit: v<number>('sms-outgoing-queue-limit') ?? 1_000_000,
    sslTrustedCaFile: v<string>('ssl-trusted-ca-file'),
    sslClientCertkeyFile: v<string>('ssl-client-certkey-file'),
    dlrExpiryHours: v<number>('dlr-expiry') ?? 72,
  });
}

function buildSmsbox(read: GroupValues): SmsboxSettings {
  return defined({
    sendsmsPort: valueOf<number>(read, 'sendsms-port') ?? 0,
    sendsmsInterface: valueOf<string>(read, 'sendsms-interface'),
    globalSender: valueOf<string>(read, 'global-sender'),
    sendsmsChars: valueOf<string>(read, 'sendsms-chars') ?? '',
  });
}

function checkCore(read: GroupValues, issues: Issues): void {
  if (!read.entries.has('admin-password')) {
    report(issues, read.group.origin, 'core', 'admin-password is missing: Kannel refuses to start without it, and the relay\'s status endpoint is open to anyone who reaches admin-port', { key: 'admin-password', severity: 'warning' });
  }
  if (read.entries.has('store-file')) {
    warnAt(read, 'store-file', 'store-file is deprecated in Kannel (it wins over store-location): write store-location instead', issues);
  }
}

/** An issue at the key's line, or the group's when the key is absent. */
function issueAt(read: GroupValues, key: string, message: string, issues: Issues, severity?: 'warning'): void {
  const origin = read.entries.get(key)?.origin ?? read.group.origin;
  report(issues, origin, read.group.name, message, { key, ...(severity ? { severity } : {}) });
}

function warnAt(read: GroupValues, key: string, message: string, issues: Issues): void {
  issueAt(read, key, message, issues, 'warning');
}

/** The links of one smsc group: none when it is not SMPP or cannot bind; several with `instances`. */
function readLinkGroup(group: ConfGroup, issues: Issues): LinkDraft[] {
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

function buildUser(read: GroupValues, issues: Issues): UserDraft {
  const v = <T>(key: string) => valueOf<T>(read, key);
  const forcedSmsc = v<string>('forced-smsc');
  const defaultSmsc = v<string>('default-smsc');
  if (forcedSmsc !== undefined && defaultSmsc !== undefined && forcedSmsc !== defaultSmsc) {
    warnAt(read, 'default-smsc', 'default-smsc has no effect next to forced-smsc (Kannel ignores it too)', issues);
  }
  const username = v<string>('username') ?? '';
  const settings: UserSettings = defined({
    origin: read.group.origin,
    username,
    password: v<string>('password') ?? '',
    // gw/urltrans.c: the name defaults to the username
    name: v<string>('name') ?? username,
    defaultSmsc: forcedSmsc === undefined ? defaultSmsc : undefined,
    forcedSmsc,
    defaultSender: v<string>('default-sender'),
    fakedSender: v<string>('faked-sender'),
    maxMessages: v<number>('max-messages') ?? 1,
    concatenation: v<boolean>('concatenation') ?? false,
    userAllowIp: v<string>('user-allow-ip'),
    userDenyIp: v<string>('user-deny-ip'),
    dlrUrl: v<string>('dlr-url'),
  });
  return { settings, read };
}

/**
 * Unique names: smsc-admin-id, else smsc-id, else Kannel's connection name; repeats get #2, #3...
 * An explicit admin-id keeps its name even when a repeat earlier in the file would have taken it.
 */
function nameLinks(drafts: LinkDraft[], issues: Issues): void {
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

function checkUsernames(drafts: UserDraft[], issues: Issues): void {
  const first = new Map<string, UserDraft>();
  for (const draft of drafts) {
    if (!draft.read.entries.has('username')) continue;
    const earlier = first.get(draft.settings.username);
    if (!earlier) {
      first.set(draft.settings.username, draft);
      continue;
    }
    issueAt(draft.read, 'username', `username ${draft.settings.username} is already the account at ${where(earlier.read.group.origin)}: Kannel would only ever use the first; give each account its own username`, issues);
  }
}

/**
 * Ids that no link has. Kannel routes by the allowed/denied/preferred lists, not by a link's own id,
 * so an account's id may also be one that only those lists name; a list's id may be one an account uses.
 */
function checkIds(links: LinkDraft[], users: UserDraft[], issues: Issues): void {
  const linkIds = new Set(links.map((draft) => draft.settings.smscId));
  const listed = new Set(links.flatMap(({ settings }) => [...(settings.allowedSmscIds ?? []), ...(settings.preferredSmscIds ?? [])]));
  const used = new Set(users.flatMap(({ settings }) => [settings.defaultSmsc, settings.forcedSmsc]).filter((id) => id !== undefined));
  const check = (read: GroupValues, key: string, id: string, known: Set<string>) => {
    if (known.has(id) || linkIds.has(id)) return;
    warnAt(read, key, `${key} names "${id}", which is no link's smsc-id${didYouMean(id, linkIds)}: Kannel allows this, but it is almost always a typo`, issues);
  };
  for (const { read, settings } of users) {
    if (settings.forcedSmsc !== undefined) check(read, 'forced-smsc', settings.forcedSmsc, listed);
    if (settings.defaultSmsc !== undefined) check(read, 'default-smsc', settings.defaultSmsc, listed);
  }
  for (const { read, settings, copy } of links) {
    if (copy !== 1) continue;
    for (const key of ['allowed-smsc-id', 'denied-smsc-id', 'preferred-smsc-id'] as const) {
      const ids = settings[key === 'allowed-smsc-id' ? 'allowedSmscIds' : key === 'denied-smsc-id' ? 'deniedSmscIds' : 'preferredSmscIds'] ?? [];
      for (const id of ids) check(read, key, id, used);
    }
  }
}
