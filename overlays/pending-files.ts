/**
 * What resolution left pending, done once every check of the config has passed (`build` only):
 * a generated file still to be made is made, and one found at a former path is moved to where it
 * belongs now, with its companions (`.pub`), so that the next build finds it there.
 */
import { chmod, mkdir, readFile, rename, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileReference, FilesContext, GenerateContext, OverlayField, ReadFile, ResolvedOverlay } from './overlay.js';

export interface PendingOptions extends FilesContext {
  /** The config's directory. */
  dir: string;
  /** out/<board>/<overlay>/ of the previous build, for each overlay. */
  previousOutputs: (overlay: string) => string;
}

/** The overlays with their pending files made and their former files moved. */
export async function settlePendingFiles(resolved: readonly ResolvedOverlay[], options: PendingOptions): Promise<ResolvedOverlay[]> {
  const result: ResolvedOverlay[] = [];
  for (const entry of resolved) {
    const references = entry.overlay.files(entry.config, { configName: options.configName, hostname: options.hostname });
    const referenceOf = (field: OverlayField) => references.find((reference) => reference.field.join('\0') === field.join('\0'));
    const files: ReadFile[] = [];
    for (const file of entry.files) {
      const reference = referenceOf(file.field);
      if (file.formerFile !== undefined) files.push(await moveFormerFile(file, reference));
      else if (file.content === undefined && reference?.generate) files.push(await generateFile(file, reference.generate, { previousOutputs: options.previousOutputs(entry.overlay.name), dir: options.dir }));
      else files.push(file);
    }
    result.push({ ...entry, files });
  }
  return result;
}

async function generateFile(file: ReadFile, generate: NonNullable<FileReference['generate']>, context: GenerateContext): Promise<ReadFile> {
  const warnings = await generate(file.file, context);
  return { ...file, content: await readFile(file.file, 'utf8'), generated: true, warnings };
}

/** Moves a file (and its companions) from its former path; the former directory goes when it is left empty. */
async function moveFormerFile(file: ReadFile, reference: FileReference | undefined): Promise<ReadFile> {
  const from = file.formerFile!;
  await mkdir(dirname(file.file), { recursive: true, mode: 0o700 });
  if (file.secret) await chmod(dirname(file.file), 0o700);
  await rename(from, file.file);
  for (const suffix of reference?.companions ?? []) {
    await rename(`${from}${suffix}`, `${file.file}${suffix}`).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await rmdir(dirname(from)).catch(() => undefined); // not empty: other files still live there
  return { ...file, moved: true };
}
