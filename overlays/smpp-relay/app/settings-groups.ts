/**
 * One kannel.conf group read against its key table (config-keys.ts): each key parsed or
 * reported, required keys checked, and the helpers the settings builders share to take a
 * key's value and to report an issue at a key's line.
 */
import { didYouMean } from '../../runtime/suggest.js';
import { GROUP_KEYS, type KeyTable } from './config-keys.js';
import type { ConfEntry, ConfGroup, ConfigIssue } from './kannel-conf.js';
import type { Origin } from './types.js';

/** One group's keys read against its table: the parsed values of implemented keys, and each key's line. */
export interface GroupValues {
  group: ConfGroup;
  table: KeyTable;
  values: Map<string, unknown>;
  entries: Map<string, ConfEntry>;
}

/** The issues found so far; every reader appends to it. */
export type Issues = ConfigIssue[];

export function report(issues: Issues, origin: Origin, group: string, message: string, more: { key?: string; severity?: 'warning' } = {}): void {
  issues.push({ file: origin.file, line: origin.line, group, ...(more.key === undefined ? {} : { key: more.key }), severity: more.severity ?? 'error', message });
}

/** Each key of a group checked against its table. */
export function readGroup(group: ConfGroup, issues: Issues): GroupValues {
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
export function valueOf<T>(read: GroupValues, key: string): T | undefined {
  const rule = read.table[key];
  if (rule?.status !== 'implemented') throw new Error(`${read.group.name}.${key} is not an implemented key`);
  return (read.values.has(key) ? read.values.get(key) : rule.default) as T | undefined;
}

/** Drops undefined fields, so that an absent key leaves no field behind. */
export function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** An issue at the key's line, or the group's when the key is absent. */
export function issueAt(read: GroupValues, key: string, message: string, issues: Issues, severity?: 'warning'): void {
  const origin = read.entries.get(key)?.origin ?? read.group.origin;
  report(issues, origin, read.group.name, message, { key, ...(severity ? { severity } : {}) });
}

export function warnAt(read: GroupValues, key: string, message: string, issues: Issues): void {
  issueAt(read, key, message, issues, 'warning');
}
