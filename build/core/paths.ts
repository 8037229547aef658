/** Where McDebian keeps its stage cache and writes a build's files. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** $XDG_CACHE_HOME/mcdebian, else ~/.cache/mcdebian. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME ?? homedir(), '.cache');
  return resolve(base, 'mcdebian');
}

/** The files of one build. */
export interface BuildPaths {
  cache: string;
  /** The cached base root filesystem (mmdebstrap's tarball) and its metadata. */
  base: string;
  baseMeta: string;
  /** The rendered configuration layer. */
  layer: string;
  /** Scratch space of this build: the assembled rootfs, the blob's parts. */
  work: string;
  rootfs: string;
  /** The final output directory, out/<board>. */
  out: string;
  /** Where artifacts are written until the build completes and they move to `out`. */
  staging: string;
  /** Seed of the build's fixed filesystem UUIDs. */
  uuidSeed: string;
}

/** Where a stage's cache entry lives: the base tarball, or the layer directory. */
export function stageEntry(cache: string, stage: 'base' | 'layer', key: string): string {
  return stage === 'base' ? join(cache, 'base', `${key}.tar`) : join(cache, 'layer', key);
}

export function buildPaths(options: { cache: string; board: string; outputDir: string; keys: { base: string; layer: string } }): BuildPaths {
  const work = join(options.cache, 'work', options.board, options.keys.layer.slice(0, 16));
  const out = join(options.outputDir, options.board);
  return {
    cache: options.cache,
    base: stageEntry(options.cache, 'base', options.keys.base),
    baseMeta: join(options.cache, 'base', `${options.keys.base}.json`),
    layer: stageEntry(options.cache, 'layer', options.keys.layer),
    work,
    rootfs: join(work, 'rootfs'),
    out,
    staging: join(options.outputDir, `.${options.board}.partial`),
    uuidSeed: `${options.keys.base}:${options.board}`,
  };
}
