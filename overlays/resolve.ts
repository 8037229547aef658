/**
 * From the `overlays:` sections (each already checked by its overlay's schema) to resolved
 * overlays: the board's architecture is one the overlay supports, and every file the config names
 * is read now, so a missing secret fails before anything is built. A file the overlay can make
 * (a key pair) that does not exist yet is left pending; `generatePendingFiles` makes it, and the
 * loader calls that only once every check of the whole config has passed, so that a config that
 * is refused leaves nothing behind (`plan` never calls it).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Board } from '../board/board.js';
import type { FileReference, Overlay, OverlayField, ReadFile, ResolvedOverlay } from './overlay.js';

export interface ResolveOptions {
  /** Undefined when the board did not resolve: the checks that need it are left out (the board's error is reported). */
  board?: Board;
  hostname: string;
  /** Directory the config's relative paths are relative to. */
  dir: string;
  /** Reports a problem at `overlays.<name>.<field>`. */
  report: (path: readonly (string | number)[], message: string) => void;
}

type Report = (field: OverlayField, message: string) => void;

/** `sections`: each enabled overlay's config, already checked by its schema. */
export async function resolveOverlays(sections: ReadonlyMap<string, unknown>, registry: readonly Overlay[], options: ResolveOptions): Promise<ResolvedOverlay[]> {
  const resolved: ResolvedOverlay[] = [];
  // registry order, so that the layer renders the same whatever order the YAML lists them in
  for (const overlay of registry) {
    if (!sections.has(overlay.name)) continue;
    const config = sections.get(overlay.name);
    const at: Report = (field, message) => options.report(['overlays', overlay.name, ...field], message);
    if (options.board !== undefined && !overlay.architectures.includes(options.board.arch)) {
      at([], `runs on ${overlay.architectures.join(', ')}, not on ${options.board.id} (${options.board.arch}); remove it for this board`);
      continue;
    }
    const files: ReadFile[] = [];
    for (const reference of overlay.files(config, { hostname: options.hostname })) {
      const file = await readReference(reference, options.dir, at);
      if (file) files.push(file);
    }
    for (const issue of overlay.validate?.(config, files, { board: options.board }) ?? []) at(issue.field, issue.message);
    resolved.push({ overlay, config, files });
  }
  return resolved;
}

/** The file a reference names, read; pending (no content) when the overlay makes it; undefined after reporting why not. */
async function readReference(reference: FileReference, dir: string, at: Report): Promise<ReadFile | undefined> {
  const { generate, ...rest } = reference;
  const file = resolve(dir, reference.path);
  let content: string | undefined;
  try {
    content = await readText(file);
  } catch (error) {
    at(reference.field, `cannot read ${reference.path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); it must be a readable file`);
    return undefined;
  }
  if (content === undefined && !generate) {
    at(reference.field, `${reference.secret ? 'secret ' : ''}file ${reference.path} not found (looked for ${file}); create it or fix the path`);
    return undefined;
  }
  return { ...rest, file, content, generated: false };
}

/** Makes the pending files (`build`, once every check has passed) and reads them in. */
export async function generatePendingFiles(resolved: readonly ResolvedOverlay[], options: Pick<ResolveOptions, 'hostname'>): Promise<ResolvedOverlay[]> {
  const result: ResolvedOverlay[] = [];
  for (const entry of resolved) {
    const references = entry.overlay.files(entry.config, { hostname: options.hostname });
    const files: ReadFile[] = [];
    for (const file of entry.files) {
      const generate = file.content === undefined ? references.find((reference) => sameField(reference.field, file.field))?.generate : undefined;
      if (generate === undefined) {
        files.push(file);
        continue;
      }
      await generate(file.file);
      files.push({ ...file, content: await readFile(file.file, 'utf8'), generated: true });
    }
    result.push({ ...entry, files });
  }
  return result;
}

const sameField = (a: OverlayField, b: OverlayField) => a.join('\0') === b.join('\0');

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
