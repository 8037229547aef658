/**
 * From the `overlays:` section (already checked by each overlay's schema) to resolved overlays:
 * the board's architecture is one the overlay supports, and every file the config names is read
 * now, so a missing secret fails before anything is built. A file the overlay can generate
 * (a key pair) is made when `generate` is on (`build`), and left pending otherwise (`plan`).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Board } from '../board/board.js';
import type { Overlay, OverlayField, ReadFile, ResolvedOverlay } from './overlay.js';

export interface ResolveOptions {
  /** Undefined when the board did not resolve: the checks that need it are left out (the board's error is reported). */
  board?: Board;
  hostname: string;
  /** Directory the config's relative paths are relative to. */
  dir: string;
  /** Make missing generated files (build) instead of leaving them pending (plan). */
  generate: boolean;
  /** Reports a problem at `overlays.<name>.<field>`. */
  report: (path: readonly (string | number)[], message: string) => void;
}

/** `sections`: each enabled overlay's config, already checked by its schema. */
export async function resolveOverlays(sections: ReadonlyMap<string, unknown>, registry: readonly Overlay[], options: ResolveOptions): Promise<ResolvedOverlay[]> {
  const resolved: ResolvedOverlay[] = [];
  // registry order, so that the layer renders the same whatever order the YAML lists them in
  for (const overlay of registry) {
    if (!sections.has(overlay.name)) continue;
    const config = sections.get(overlay.name);
    const at = (field: OverlayField, message: string) => options.report(['overlays', overlay.name, ...field], message);
    if (options.board !== undefined && !overlay.architectures.includes(options.board.arch)) {
      at([], `runs on ${overlay.architectures.join(', ')}, not on ${options.board.id} (${options.board.arch}); remove it for this board`);
      continue;
    }
    const files: ReadFile[] = [];
    for (const reference of overlay.files(config, { hostname: options.hostname })) {
      const { generate, ...rest } = reference;
      const file = resolve(options.dir, reference.path);
      let content: string | undefined;
      try {
        content = await readText(file);
      } catch (error) {
        at(reference.field, `cannot read ${reference.path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); it must be a readable file`);
        continue;
      }
      let generated = false;
      if (content === undefined && generate && options.generate) {
        await generate(file);
        content = await readText(file);
        generated = true;
      }
      if (content === undefined && !generate) {
        at(reference.field, `${reference.secret ? 'secret ' : ''}file ${reference.path} not found (looked for ${file}); create it or fix the path`);
        continue;
      }
      files.push({ ...rest, file, content, generated });
    }
    for (const issue of overlay.validate?.(config, files, { board: options.board }) ?? []) at(issue.field, issue.message);
    resolved.push({ overlay, config, files });
  }
  return resolved;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
