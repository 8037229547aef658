/**
 * What the flash commands say when the build they look for is not there. A build lands beside
 * its config (<config's dir>/<output>/<board>/), so `--board ID` alone, run from another
 * directory or against a config with its own `output:`, looks in the wrong place: the hint
 * names -c FILE and --image PATH, and the configs nearby whose build holds the artifact.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../config/schema.js';

/** At most this many YAML files are read (a home directory may hold many). */
const MAX_CONFIGS = 200;

/** *.yaml and *.yml in `dir` and in its direct subdirectories (hidden ones and node_modules left out). */
async function nearbyYamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files = entries.filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name)).map((entry) => join(dir, entry.name));
  const subdirs = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules');
  for (const subdir of subdirs) {
    const inner = await readdir(join(dir, subdir.name), { withFileTypes: true }).catch(() => []);
    files.push(...inner.filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name)).map((entry) => join(dir, subdir.name, entry.name)));
  }
  return files.sort().slice(0, MAX_CONFIGS);
}

/** Where a config file's build of the board would be, when the file reads as a config for that board. */
async function buildDirOf(file: string, boardId: string): Promise<string | undefined> {
  let raw: unknown;
  try {
    raw = parse(await readFile(file, 'utf8'));
  } catch {
    return undefined; // not YAML, or not readable: not a config to suggest
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const fields = raw as { board?: unknown; output?: unknown };
  const board = configSchema.shape.board.safeParse(fields.board);
  const output = configSchema.shape.output.safeParse(fields.output);
  if (!board.success || !output.success || (board.data !== undefined && board.data !== boardId)) return undefined;
  return join(dirname(file), output.data, boardId);
}

/** Configs near `cwd` whose build of the board holds `artifact`, as paths relative to `cwd`. */
export async function findBuiltConfigs(options: { cwd: string; boardId: string; artifact: string }): Promise<{ config: string; artifact: string }[]> {
  const found: { config: string; artifact: string }[] = [];
  for (const file of await nearbyYamlFiles(options.cwd)) {
    const out = await buildDirOf(file, options.boardId);
    if (!out) continue;
    const path = join(out, options.artifact);
    if (await stat(path).then((s) => s.isFile(), () => false)) found.push({ config: relative(options.cwd, file), artifact: relative(options.cwd, path) });
  }
  return found;
}

/**
 * The hint for a build artifact that is not where the flags point: with -c, build that config;
 * without, name -c FILE and --image PATH, and the configs nearby that have the build.
 */
export async function missingBuildHint(options: { cwd: string; boardId: string; artifact: string; config?: string }): Promise<string> {
  const imageFlag = `--image PATH flashes a ${options.artifact} from elsewhere`;
  if (options.config !== undefined) return `build it first (mcdebian build -c ${options.config}), or ${imageFlag}`;
  const found = await findBuiltConfigs(options);
  const built = found.map((entry) => `the build of ${entry.config} is at ${entry.artifact}: add -c ${entry.config}`);
  return [
    ...built,
    `a build lands beside its config: name the config with -c FILE, or ${imageFlag}`,
    ...(found.length === 0 ? [`or build one: mcdebian build --board ${options.boardId}`] : []),
  ].join('; ');
}
