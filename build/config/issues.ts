/**
 * Turns schema issues into messages that name the file, the field path, the line and the fix.
 * Line numbers come from the YAML document's source ranges.
 */
import { isMap, isPair, isScalar, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from '../../overlays/runtime/suggest.js';
import { UserError } from '../core/errors.js';

/** One thing wrong with the config. */
export interface ConfigIssue {
  /** Field path as written in YAML, e.g. `network.lan.address` or `users[0].name`. */
  path: string;
  /** 1-based line in the file, when the field appears in it. */
  line?: number;
  /** 1-based column, for YAML syntax errors. */
  column?: number;
  message: string;
}

const FIELDS_HINT = 'fix the fields above; mcdebian.yaml keys are listed in the README, each overlay\'s by mcdebian overlays';

/** A config that cannot be used; lists every issue found. */
export class ConfigError extends UserError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  /** `hint` replaces the default one, which points at the fields' documentation. */
  constructor(file: string, issues: readonly ConfigIssue[], hint = FIELDS_HINT) {
    const lines = issues.map((issue) => `  ${file}${issue.line ? `:${issue.line}` : ''}${issue.column ? `:${issue.column}` : ''}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
    super(`${file} is not a valid McDebian config:\n${lines.join('\n')}`, { hint });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export type FieldPath = readonly PropertyKey[];

/** `users[0].authorizedKeys[1]` */
export function formatPath(path: FieldPath): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

/** Where in the file a field (or, with `key`, one key of a mapping) is written. */
export function lineOf(doc: Document, counter: LineCounter, path: FieldPath, key?: string): number | undefined {
  const node = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true);
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
    const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
    if (range) return counter.linePos(range[0]).line;
  }
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}

/** The keys a strict object schema allows at `path`, for "did you mean". */
export function knownKeysAt(schema: z.ZodType, path: FieldPath): string[] {
  let current = defOf(schema);
  for (const part of path) {
    if (current?.type === 'object') current = defOf((current.shape as Record<string, unknown>)[String(part)]);
    else if (current?.type === 'array') current = defOf(current.element);
    else return [];
  }
  return current?.type === 'object' ? Object.keys(current.shape as object) : [];
}

type SchemaDef = Record<string, unknown> & { type: string };

/** A schema's definition with optional/default/pipe wrappers taken off (zod 4's `_zod.def`). */
function defOf(schema: unknown): SchemaDef | undefined {
  let def = (schema as { _zod?: { def: SchemaDef } } | undefined)?._zod?.def;
  while (def && ['optional', 'default', 'nullable', 'pipe'].includes(def.type)) {
    const inner = def.type === 'pipe' ? def.in : def.innerType;
    def = (inner as { _zod?: { def: SchemaDef } } | undefined)?._zod?.def;
  }
  return def;
}

/** A zod issue as the user should read it; `schema` is the one that reported it, mounted at `prefix`. */
export function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, prefix: FieldPath = []): Omit<ConfigIssue, 'line'>[] {
  const path = formatPath([...prefix, ...issue.path]);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(schema, issue.path);
    return issue.keys.map((key) => ({
      path: formatPath([...prefix, ...issue.path, key]),
      message: `unknown key "${key}"${didYouMean(key, known)}; allowed here: ${known.join(', ')}`,
    }));
  }
  if (issue.code === 'invalid_type') {
    const got = issue.input === undefined ? 'nothing' : Array.isArray(issue.input) ? 'a list' : typeof issue.input;
    const message = issue.input === undefined ? `is required (${issue.expected})` : `must be ${article(issue.expected)}, not ${got}`;
    return [{ path, message }];
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    return [{ path: path ? `${path}.${String(issue.discriminator)}` : String(issue.discriminator), message: issue.message }];
  }
  return [{ path, message: issue.message }];
}

function article(type: string): string {
  const names: Record<string, string> = { array: 'a list', object: 'a mapping', string: 'a string', number: 'a number', boolean: 'true or false' };
  return names[type] ?? type;
}
