/**
 * `files: DIR` in mcdebian.yaml: a tree of the user's own that is copied over the configuration
 * layer (OpenWrt ImageBuilder's FILES=, mkosi's ExtraTrees=). Each entry keeps its mode; owners
 * become root (the layer is written by the build, which runs as root). Files are hashed here, so
 * their content is part of the layer's cache key without being held in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LayerFile } from '../../rootfs/configure.js';

/** A problem with the tree, reported against the `files` field. */
export type UserFilesIssue = string;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** One entry of the tree as a layer entry, or an issue for what cannot go into an image. */
async function entryOf(root: string, relative: string): Promise<LayerFile | UserFilesIssue> {
  const file = join(root, relative);
  const stats = await lstat(file);
  const path = `/${relative}`;
  const mode = stats.mode & 0o7777;
  if (stats.isSymbolicLink()) return { path, symlink: await readlink(file), mode: 0o777 };
  if (stats.isDirectory()) return { path, mode, modeIfNew: true };
  if (stats.isFile()) return { path, hostFile: { path: file, sha256: await sha256Of(file) }, mode };
  return `${file} is neither a file, a directory nor a symlink; only those go into an image`;
}

/** Every entry below `root`, parents before children, sorted. */
export async function readUserFiles(root: string): Promise<{ files: LayerFile[]; issues: UserFilesIssue[] }> {
  const stats = await lstat(root).catch(() => undefined);
  if (!stats?.isDirectory()) return { files: [], issues: [`${root} is not a directory; files: names a tree to copy into the image`] };
  const names = (await readdir(root, { recursive: true })).sort();
  const files: LayerFile[] = [];
  const issues: UserFilesIssue[] = [];
  for (const name of names) {
    const entry = await entryOf(root, name);
    if (typeof entry === 'string') issues.push(entry);
    else files.push(entry);
  }
  return { files, issues };
}
