/**
 * mcdebian.yaml checked part by part, so that every error is reported at once: the top level
 * against its schema, and each part that later checks need (the users, the files tree, each
 * overlay's section) parsed on its own, so that a typo in one part does not hide the checks of
 * another (a key file that is missing, a setting the board cannot have).
 */
import type { z } from 'zod';
import type { FieldPath } from './issues.js';
import { configSchema, configSchemaFor, type ConfigFile } from './schema.js';

/** Reports a schema's issues, their paths under `prefix`. */
export type SchemaReport = (issues: readonly z.core.$ZodIssue[], schema: z.ZodType, prefix: FieldPath) => void;

type Shape = typeof configSchema.shape;

/** The top level checked with defaults filled in; undefined when it has errors (each reported). */
export function checkTopLevel(raw: Record<string, unknown>, registry: readonly { name: string }[], report: SchemaReport): ConfigFile | undefined {
  const schema = configSchemaFor(registry);
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  report(parsed.error.issues, schema, []);
  return undefined;
}

/** One top-level field on its own with its default; undefined when it does not parse (checkTopLevel says why). */
export function fieldOf<K extends keyof Shape>(raw: Record<string, unknown>, name: K): z.output<Shape[K]> | undefined {
  const parsed = configSchema.shape[name].safeParse(raw[name]);
  return parsed.success ? parsed.data as z.output<Shape[K]> : undefined;
}

/** Each section of `overlays:` checked by its overlay's own schema: the configs that parse, by overlay name. */
export function checkOverlaySections(raw: Record<string, unknown>, registry: readonly { name: string; schema: z.ZodType }[], report: SchemaReport): Map<string, unknown> {
  const sections = new Map<string, unknown>();
  const section = raw.overlays;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) return sections; // the top level says what is wrong
  for (const overlay of registry) {
    if (!Object.hasOwn(section, overlay.name)) continue;
    const parsed = overlay.schema.safeParse((section as Record<string, unknown>)[overlay.name], { reportInput: true });
    if (parsed.success) sections.set(overlay.name, parsed.data);
    else report(parsed.error.issues, overlay.schema, ['overlays', overlay.name]);
  }
  return sections;
}
