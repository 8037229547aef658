/**
 * `mcdebian overlays [--json]`: the service overlays, with the architectures they run on and
 * their config fields (type, limits, default, what each means), from each overlay's own schema.
 */
import { z } from 'zod';
import { overlays } from '../../overlays/index.js';
import type { Overlay } from '../../overlays/overlay.js';
import { commonFlags, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';

export interface OverlayField {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  description?: string;
}

interface JsonSchemaProperty {
  type?: string;
  anyOf?: JsonSchemaProperty[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  description?: string;
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
  items?: JsonSchemaProperty;
}

/** The fields of an overlay's config, in schema order; nested mappings as `api.port`, a list's items as `smsc[].host`. */
export function overlayFields(overlay: Overlay): OverlayField[] {
  return fieldsOf(z.toJSONSchema(overlay.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaProperty, '');
}

function fieldsOf(schema: JsonSchemaProperty, prefix: string): OverlayField[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, property]) => {
    const name = `${prefix}${key}`;
    const required = schema.required?.includes(key) ?? false;
    if (property.properties) {
      const children = fieldsOf(property, `${name}.`);
      // a mapping the user may leave out entirely makes its fields optional too
      return required ? children : children.map((child) => ({ ...child, required: false }));
    }
    const field: OverlayField = {
      name,
      type: property.type ?? (property.anyOf ? [...new Set(property.anyOf.map((option) => option.type ?? 'any'))].join(' | ') : 'any'),
      required,
      ...(property.default === undefined ? {} : { default: property.default }),
      ...(property.minimum === undefined ? {} : { minimum: property.minimum }),
      ...(property.maximum === undefined ? {} : { maximum: property.maximum }),
      ...(property.description === undefined ? {} : { description: property.description }),
    };
    // the items of a list of mappings are fields too; required inside each item they are given for
    return property.items?.properties ? [field, ...fieldsOf(property.items, `${name}[].`)] : [field];
  });
}

function describeType(field: OverlayField): string {
  const range = field.minimum !== undefined || field.maximum !== undefined ? ` ${field.minimum ?? ''}..${field.maximum ?? ''}` : '';
  const value = field.required ? ', required' : field.default !== undefined ? ` = ${JSON.stringify(field.default)}` : ', optional';
  return `${field.type}${range}${value}`;
}

export function runOverlays(context: CommandContext, options: { json: boolean }): ExitCode {
  const rows = overlays.map((overlay) => ({ name: overlay.name, summary: overlay.summary, architectures: [...overlay.architectures], fields: overlayFields(overlay) }));
  if (options.json) {
    writeJson(context, rows);
    return 0;
  }
  for (const row of rows) {
    context.stdout.write(`${row.name}: ${row.summary}\n  runs on ${row.architectures.join(', ')}; configure under overlays.${row.name} in mcdebian.yaml:\n`);
    const types = row.fields.map(describeType);
    const nameWidth = Math.max(...row.fields.map((field) => field.name.length));
    const typeWidth = Math.max(...types.map((type) => type.length));
    for (const [i, field] of row.fields.entries()) {
      context.stdout.write(`    ${field.name.padEnd(nameWidth)}  ${types[i]!.padEnd(typeWidth)}  ${field.description ?? ''}`.trimEnd() + '\n');
    }
  }
  return 0;
}

export const overlaysCommand: Command = {
  summary: 'list the service overlays with their config fields and defaults',
  usage: 'mcdebian overlays [--json]',
  flags: { json: commonFlags.json },
  run: (context, values) => runOverlays(context, { json: values.json === true }),
};
