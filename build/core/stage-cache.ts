/**
 * The content-addressed stage cache: an entry appears under its key only once complete
 * (written to a temporary name, then renamed), so an interrupted or failed build never leaves an
 * entry that a later build would trust.
 */
import { existsSync } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stageEntry } from './paths.js';

/** The temporary name a file or directory is written under before it is published. */
export function partialPath(path: string): string {
  return `${path}.partial-${process.pid}`;
}

export async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Moves a completed temporary file or directory to its final name, replacing what was there. */
export async function publish(partial: string, final: string): Promise<void> {
  await mkdir(dirname(final), { recursive: true });
  await rm(final, { recursive: true, force: true });
  await rename(partial, final);
}

/** Writes JSON through a temporary file, so readers never see half of it. */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const partial = partialPath(path);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(partial, `${JSON.stringify(value, null, 2)}\n`);
  await rename(partial, path);
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Whether a stage's entry is complete in the cache (a base counts once its metadata is written, last). */
export function isStageCached(cache: string, stage: 'base' | 'layer', key: string): boolean {
  const entry = stageEntry(cache, stage, key);
  return stage === 'base' ? existsSync(entry) && existsSync(entry.replace(/\.tar$/, '.json')) : existsSync(entry);
}
