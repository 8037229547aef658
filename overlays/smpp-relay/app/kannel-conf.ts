/**
 * Kannel's configuration syntax, read the way Kannel 1.4.5 reads it (gwlib/cfg.c): `key = value`
 * lines collected into groups; a blank line ends a group; only whole lines are comments; a value
 * wrapped in double quotes loses them and has `\\` and `\"` unescaped (any other `\x` stays as
 * written); a line ending in `\` continues on the next; `include = "file"` splices a file (or
 * every file of a directory) in place, and the end of an included file ends the group it is in.
 * A repeated key keeps its last value, as Kannel's dictionary does.
 *
 * Where this differs from cfg.c, on purpose:
 * - `group = ...` in a group that already has one starts a new group (with a warning): Kannel
 *   would merge the two and then refuse or, worse, run one link made of two.
 * - An include path is relative to the including file, not to Kannel's working directory.
 * - Only a line whose key is `include` includes; cfg.c includes on any line containing the
 *   word, so `log-file = /var/log/include.log` would break Kannel and not us.
 * - Reading goes on after an error so that every issue is listed; Kannel stops at the first.
 * - Line numbers count every physical line; Kannel's drift after a continued line.
 *
 * Pure: files are read through the caller's `readFile`.
 */
import { dirname, resolve } from 'node:path';
import type { Origin } from './types.js';

/** One thing wrong (error) or worth knowing (warning) about a kannel.conf, with where it is. */
export interface ConfigIssue {
  file: string;
  /** 1-based; 0 when the issue is about the config as a whole (a group it lacks). */
  line: number;
  /** The group's name, or '' outside any group. */
  group: string;
  key?: string;
  severity: 'error' | 'warning';
  message: string;
}

/** One `key = value` line, its value unquoted. */
export interface ConfEntry {
  key: string;
  value: string;
  origin: Origin;
}

/** One group: its `group = name` line and its keys in file order, each key once. */
export interface ConfGroup {
  name: string;
  /** Where `group = ...` is written. */
  origin: Origin;
  entries: ConfEntry[];
}

/** The groups of a file and its includes, and what was wrong with the text itself. */
export interface ParsedConf {
  groups: ConfGroup[];
  issues: ConfigIssue[];
}

/** Where the text came from and how to read what it includes. */
export interface ParseOptions {
  /** The file's path: it names the file in origins, and relative includes start from its directory. */
  file: string;
  /** The text of an included file; throws (as fs.readFileSync does) when it cannot be read. */
  readFile: (path: string) => string;
  /** The files (not subdirectories) of a directory, or undefined when `path` is not one. Without it, includes are files. */
  listDirectory?: (path: string) => string[] | undefined;
}

interface OpenGroup {
  name?: string;
  origin?: Origin;
  first: Origin;
  entries: Map<string, ConfEntry>;
}

interface Reader {
  options: ParseOptions;
  groups: ConfGroup[];
  issues: ConfigIssue[];
  open?: OpenGroup;
  /** Files being read (absolute paths), outermost first: an include of one of them is a loop. */
  chain: string[];
  /** Every file read so far and the line that included it; Kannel refuses to read one twice. */
  seen: Map<string, Origin | undefined>;
}

/** Reads kannel.conf text (and what it includes) into groups. */
export function parseKannelConf(text: string, options: ParseOptions): ParsedConf {
  const reader: Reader = { options, groups: [], issues: [], chain: [], seen: new Map([[resolve(options.file), undefined]]) };
  readText(reader, options.file, text);
  return { groups: reader.groups, issues: reader.issues };
}

/** A value as cfg.c's parse_value leaves it: trimmed; when quoted, unquoted with `\\` and `\"` unescaped. */
export function unquoteValue(raw: string): string {
  const text = raw.trim();
  if (!text.startsWith('"') || !text.endsWith('"')) return text;
  return text.slice(1, -1).replace(/\\([\\"])/g, '$1');
}

function readText(reader: Reader, file: string, text: string): void {
  reader.chain.push(resolve(file));
  for (const { line, content } of logicalLines(text)) readLine(reader, { file, line }, content.trim());
  reader.chain.pop();
  // cfg.c appends an empty line to every file it reads, so a group never runs on past a file's end
  if (text !== '') closeGroup(reader);
}

/** Lines with continuations joined; a line ending in `\\` ends there with one `\` kept (cfg.c's expand_file). */
function logicalLines(text: string): { line: number; content: string }[] {
  const lines: { line: number; content: string }[] = [];
  let current: { line: number; content: string } | undefined;
  text.split('\n').forEach((physical, index) => {
    const raw = physical.endsWith('\r') ? physical.slice(0, -1) : physical;
    if (!current) lines.push(current = { line: index + 1, content: '' });
    if (!raw.endsWith('\\')) {
      current.content += raw;
      current = undefined;
      return;
    }
    const kept = raw.slice(0, -1);
    current.content += kept;
    if (kept.endsWith('\\')) current = undefined;
  });
  return lines;
}

function readLine(reader: Reader, origin: Origin, content: string): void {
  if (content === '') return closeGroup(reader);
  if (content.startsWith('#')) return;
  const equals = content.indexOf('=');
  if (equals === -1) {
    report(reader, origin, `"${content}" has no "=": every line is "key = value", a comment starting with #, or blank`);
    return;
  }
  const key = content.slice(0, equals).trim();
  const rawValue = content.slice(equals + 1);
  if (key === 'include') return include(reader, origin, unquoteValue(rawValue));
  const value = unquoteValue(rawValue);
  if (!rawValue.trim().startsWith('"') && /\s#/.test(value)) {
    report(reader, origin, `${key}: the value "${value}" contains "#": Kannel has no end-of-line comments, so it is part of the value`, 'warning', key);
  }
  setKey(reader, { key, value, origin });
}

function setKey(reader: Reader, entry: ConfEntry): void {
  let open = reader.open;
  if (entry.key === 'group' && open?.name !== undefined) {
    report(reader, entry.origin, `group = ${entry.value} follows group ${open.name} without a blank line: Kannel would read both as one group; put a blank line before it`, 'warning', 'group');
    closeGroup(reader);
    open = undefined;
  }
  open ??= reader.open = { first: entry.origin, entries: new Map() };
  if (entry.key === 'group') {
    open.name = entry.value;
    open.origin = entry.origin;
    return;
  }
  const earlier = open.entries.get(entry.key);
  if (earlier) {
    report(reader, entry.origin, `${entry.key} is set again (first at ${where(earlier.origin)}): the last value counts, as in Kannel`, 'warning', entry.key);
    open.entries.delete(entry.key);
  }
  open.entries.set(entry.key, entry);
}

function closeGroup(reader: Reader): void {
  const open = reader.open;
  reader.open = undefined;
  if (!open) return;
  if (open.name === undefined || open.origin === undefined) {
    report(reader, open.first, 'these lines belong to no group: a group starts with "group = name" and ends at a blank line');
    return;
  }
  reader.groups.push({ name: open.name, origin: open.origin, entries: [...open.entries.values()] });
}

function include(reader: Reader, origin: Origin, value: string): void {
  if (value === '') return report(reader, origin, 'include names no file', 'error', 'include');
  const path = resolve(dirname(origin.file), value);
  const files = reader.options.listDirectory?.(path)?.map((name) => resolve(path, name)).sort() ?? [path];
  for (const file of files) {
    if (reader.chain.includes(file)) {
      return report(reader, origin, `include loop: ${[...reader.chain, file].join(' -> ')}`, 'error', 'include');
    }
    if (reader.seen.has(file)) {
      const first = reader.seen.get(file);
      report(reader, origin, `${file} is already included${first ? ` at ${where(first)}` : ''}; Kannel refuses to read a file twice`, 'error', 'include');
      continue;
    }
    reader.seen.set(file, origin);
    let text: string;
    try {
      text = reader.options.readFile(file);
    } catch (error) {
      report(reader, origin, `cannot read the included file ${file}: ${(error as Error).message}`, 'error', 'include');
      continue;
    }
    readText(reader, file, text);
  }
}

function report(reader: Reader, origin: Origin, message: string, severity: ConfigIssue['severity'] = 'error', key?: string): void {
  const group = reader.open?.name ?? '';
  reader.issues.push({ file: origin.file, line: origin.line, group, ...(key === undefined ? {} : { key }), severity, message });
}

/** `file:line`, for messages. */
export function where(origin: Origin): string {
  return `${origin.file}:${origin.line}`;
}
