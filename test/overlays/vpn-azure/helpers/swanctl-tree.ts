/**
 * A swanctl configuration given as a directory tree laid out as in the image (the render's layer:
 * etc/swanctl/swanctl.conf and the files it includes by their absolute /etc/... paths), made
 * loadable on the host: the tree is copied and every absolute `include` in its .conf files is
 * pointed into the copy, so that `swanctl --file COPY/etc/swanctl/swanctl.conf` reads the tree's
 * files and never the host's /etc. (strongSwan's settings parser reads relative includes
 * relative to the including file, so those need nothing.)
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const INCLUDE = /^(\s*include\s+)(\/\S*)/gm;

/** The text with its absolute includes moved under `root`. */
export const rebaseIncludes = (text: string, root: string) => text.replace(INCLUDE, (_, head: string, path: string) => `${head}${join(root, path)}`);

/** Copies `tree` to `into` with its includes rebased there; the path of the copy's `file`. */
export async function stageSwanctlTree(options: { tree: string; into: string; file?: string }): Promise<string> {
  await cp(options.tree, options.into, { recursive: true, preserveTimestamps: true });
  const entries = await readdir(options.into, { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((found) => found.isFile() && found.name.endsWith('.conf'))) {
    const path = join(entry.parentPath, entry.name);
    await writeFile(path, rebaseIncludes(await readFile(path, 'utf8'), options.into));
  }
  return join(options.into, options.file ?? '/etc/swanctl/swanctl.conf');
}
