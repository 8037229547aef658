/**
 * kannel.conf groups -> the relay's settings. The rules for every key are in config-keys.ts;
 * each group is read against them (settings-groups.ts), links are built and named
 * (settings-links.ts), accounts built and checked against the links (settings-users.ts). Here
 * the groups are counted (one core, one smsbox, at least one smpp smsc and one sendsms-user)
 * and the core and smsbox settings built. Everything wrong is listed, not just the first thing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { didYouMean } from '../../runtime/suggest.js';
import { GROUP_KEYS, REFUSED_GROUPS } from './config-keys.js';
import { parseKannelConf, where, type ConfGroup, type ConfigIssue } from './kannel-conf.js';
import { defined, readGroup, report, valueOf, warnAt, type GroupValues, type Issues } from './settings-groups.js';
import { nameLinks, readLinkGroup } from './settings-links.js';
import { buildUser, checkIds, checkUsernames } from './settings-users.js';
import type { CoreSettings, Origin, RelaySettings, SmsboxSettings } from './types.js';

export type { ConfigIssue } from './kannel-conf.js';

/** What a config gives: the settings when no issue is an error, and every issue found. */
export interface SettingsResult {
  settings?: RelaySettings;
  issues: ConfigIssue[];
}

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
