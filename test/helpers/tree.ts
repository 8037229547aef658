/** A directory tree as data (path -> type, mode, content hash or link target), for comparing two trees. */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type TreeEntry = { type: 'directory' | 'file' | 'symlink'; mode: string; sha256?: string; target?: string };

/** Every entry below `root`, keyed by its path from `root` ("/etc/hostname"). */
export async function describeTree(root: string, path = ''): Promise<Record<string, TreeEntry>> {
  const entries: Record<string, TreeEntry> = {};
  for (const name of (await readdir(join(root, path))).sort()) {
    const relative = `${path}/${name}`;
    const stats = await lstat(join(root, relative));
    const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
    if (stats.isSymbolicLink()) entries[relative] = { type: 'symlink', mode, target: await readlink(join(root, relative)) };
    else if (stats.isDirectory()) Object.assign(entries, { [relative]: { type: 'directory', mode } }, await describeTree(root, relative));
    else entries[relative] = { type: 'file', mode, sha256: createHash('sha256').update(await readFile(join(root, relative))).digest('hex') };
  }
  return entries;
}
