/**
 * From the `overlays:` sections (each already checked by its overlay's schema) to resolved
 * overlays: the board's architecture is one the overlay supports, and every file the config names
 * is read now, so a missing secret fails before anything is built. A file the overlay can make
 * (a key pair) that does not exist yet is left pending, and one found where an earlier version
 * made it is read there; pending-files.ts makes or moves them, and the loader calls it only once
 * every check of the whole config has passed, so that a config that is refused leaves nothing
 * behind (`plan` never calls it).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Board } from '../board/board.js';
import type { FileReference, FilesContext, Overlay, OverlayField, ReadFile, ResolvedOverlay } from './overlay.js';

export interface ResolveOptions extends FilesContext {
  /** Undefined when the board did not resolve: the checks that need it are left out (the board's error is reported). */
  board?: Board;
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
    for (const reference of overlay.files(config, { configName: options.configName, hostname: options.hostname })) {
      const file = await readReference(reference, options.dir, at);
      if (file) files.push(file);
    }
    for (const issue of overlay.validate?.(config, files, { board: options.board }) ?? []) at(issue.field, issue.message);
    resolved.push({ overlay, config, files });
  }
  return resolved;
}

/**
 * The file a reference names, read; else the first of its former paths that exists (build moves
 * it); else pending (no content) when the overlay makes it; undefined after reporting why not.
 */
async function readReference(reference: FileReference, dir: string, at: Report): Promise<ReadFile | undefined> {
  const { generate, formerPaths = [], companions: _companions, ...rest } = reference;
  const file = resolve(dir, reference.path);
  for (const candidate of [reference.path, ...formerPaths]) {
    let content: string | undefined;
    try {
      content = await readText(resolve(dir, candidate));
    } catch (error) {
      at(reference.field, `cannot read ${candidate} (${(error as NodeJS.ErrnoException).code ?? String(error)}); it must be a readable file`);
      return undefined;
    }
    if (content === undefined) continue;
    return candidate === reference.path ? { ...rest, file, content, generated: false } : { ...rest, file, content, generated: false, formerFile: resolve(dir, candidate) };
  }
  if (!generate) {
    at(reference.field, `${reference.secret ? 'secret ' : ''}file ${reference.path} not found (looked for ${file}); create it or fix the path`);
    return undefined;
  }
  return { ...rest, file, generated: false };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
