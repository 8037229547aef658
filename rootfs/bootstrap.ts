/**
 * Bootstraps the base root filesystem: mmdebstrap by default, debootstrap (--foreign, then its
 * second stage under QEMU user emulation) as the alternative. Reads the suite, architecture,
 * mirrors and package set; writes the base tarball and its metadata into the stage cache.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BuildContext } from '../build/core/context.js';
import { UserError } from '../build/core/errors.js';
import { exists, partialPath, publish, readJson, writeJsonAtomically } from '../build/core/stage-cache.js';
import { buildOnce } from '../build/core/stage-lock.js';
import type { Step } from '../build/core/step.js';
import { didYouMean } from '../overlays/runtime/suggest.js';
import { bootstrapLineReader, describeBootstrap, EMPTY_TALLY } from './bootstrap-progress.js';
import { buildSuites, checkMirror, findMissingPackages } from './debian-archive.js';

export const BOOTSTRAPPERS = ['mmdebstrap', 'debootstrap'] as const;
export type Bootstrapper = (typeof BOOTSTRAPPERS)[number];

/** Everything the bootstrap depends on; hashed into the base stage's cache key. */
export interface BootstrapSpec {
  bootstrapper: Bootstrapper;
  suite: string;
  arch: string;
  mirror: string;
  securityMirror?: string;
  /** Also install from <suite>-updates and <suite>-security while bootstrapping. */
  withUpdates: boolean;
  packages: readonly string[];
}

/** What the cache keeps beside the base tarball. */
export interface BaseMeta {
  key: string;
  sourceDateEpoch: number;
  spec: BootstrapSpec;
}

/** The apt source lines of the image: the suite, its updates and its security updates. */
export function aptSourceLines(spec: Pick<BootstrapSpec, 'suite' | 'mirror' | 'securityMirror'>): string[] {
  return bootstrapSources({ ...spec, withUpdates: true });
}

/** The sources the bootstrap installs from: the suites `plan` reads the kernel from (buildSuites). */
function bootstrapSources(spec: Pick<BootstrapSpec, 'suite' | 'mirror' | 'securityMirror' | 'withUpdates'>): string[] {
  return buildSuites(spec).map(({ mirror, suite }) => `deb ${mirror} ${suite} main`);
}

/**
 * mmdebstrap writing a sorted, reproducible tarball (SOURCE_DATE_EPOCH comes from the
 * environment). --verbose makes it print apt's and dpkg's output, which build.log keeps and
 * bootstrap-progress.ts counts: without it, a bootstrap whose stderr is not a terminal prints
 * a handful of phase lines in 17 minutes.
 */
export function mmdebstrapArgs(spec: BootstrapSpec, output: string): string[] {
  return [
    'mmdebstrap',
    '--verbose',
    '--variant=minbase',
    `--architectures=${spec.arch}`,
    '--mode=root',
    '--format=tar',
    `--include=${spec.packages.join(',')}`,
    '--aptopt=Acquire::Retries "3"',
    spec.suite,
    output,
    ...bootstrapSources(spec),
  ];
}

/** debootstrap's first stage, its second inside the target under qemu-user, then a sorted tarball. */
export function debootstrapArgs(spec: BootstrapSpec, target: string, output: string): string[][] {
  return [
    ['debootstrap', '--foreign', '--variant=minbase', `--arch=${spec.arch}`, `--include=${spec.packages.join(',')}`, spec.suite, target, spec.mirror],
    ['chroot', target, '/debootstrap/debootstrap', '--second-stage'],
    ['tar', '--create', '--file', output, '--directory', target, '--sort=name', '--numeric-owner', '--xattrs', '--xattrs-include=*', '.'],
  ];
}

export interface BootstrapPaths {
  output: string;
  meta: string;
}

/** The bootstrap step; when the base is cached it only reads the cached metadata, and says so. */
export function bootstrapStep(spec: BootstrapSpec, paths: BootstrapPaths, options: { key: string; cached: boolean }): Step {
  const commands = spec.bootstrapper === 'mmdebstrap'
    ? [mmdebstrapArgs(spec, paths.output)]
    : debootstrapArgs(spec, `${paths.output}.d`, paths.output);
  return {
    id: 'bootstrap',
    title: `Bootstrap Debian ${spec.suite} ${spec.arch} with ${spec.bootstrapper}`,
    commands: options.cached ? [] : commands.map((argv) => ({ argv })),
    writes: [paths.output, paths.meta],
    cacheKey: options.key,
    cached: options.cached,
    notes: [`${spec.packages.length} packages${spec.withUpdates ? '' : `; without ${spec.suite}-updates and -security at build time`}; reused while the key is unchanged`],
    verify: async () => {
      if (!options.cached) await verifySources(spec);
    },
    run: async (ctx) => {
      const what = `the base ${options.key.slice(0, 12)}`;
      if (!options.cached) {
        const done = async () => (await exists(paths.output)) && (await exists(paths.meta));
        const outcome = await buildOnce({ entry: paths.output, what, isDone: done, build: () => runBootstrap(ctx, spec, paths, options.key), logger: ctx.logger, signal: ctx.signal });
        if (outcome === 'built') return;
      }
      const meta = await readJson<BaseMeta>(paths.meta);
      if (!meta) throw new UserError(`the cached base ${paths.output} has no readable metadata`, { hint: 'run mcdebian clean and build again' });
      ctx.state.sourceDateEpoch = meta.sourceDateEpoch;
      if (options.cached) ctx.logger.info(`reusing ${what}`);
    },
  };
}

/** Before minutes of bootstrapping: the mirror answers and every package exists in the suite. */
async function verifySources(spec: BootstrapSpec): Promise<void> {
  try {
    await checkMirror({ mirror: spec.mirror, suite: spec.suite });
  } catch (error) {
    throw new UserError(`the Debian mirror does not answer: ${(error as Error).message}`, {
      hint: 'check mirror: in mcdebian.yaml (or the host\'s apt sources) and the network',
    });
  }
  const { missing, known } = await findMissingPackages({ mirror: spec.mirror, suite: spec.suite, arch: spec.arch, names: spec.packages });
  if (missing.length > 0) {
    const described = missing.map((name) => `"${name}"${didYouMean(name, known)}`).join(', ');
    throw new UserError(`no package ${described} in Debian ${spec.suite} main for ${spec.arch}`, {
      hint: 'fix packages: in mcdebian.yaml (apt-cache policy NAME shows what a mirror has)',
    });
  }
}

async function runBootstrap(ctx: BuildContext, spec: BootstrapSpec, paths: BootstrapPaths, key: string): Promise<void> {
  const sourceDateEpoch = Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
  const partial = partialPath(paths.output);
  await mkdir(dirname(partial), { recursive: true });
  ctx.defer(() => rm(partial, { force: true }), `remove ${partial}`);
  const env = { SOURCE_DATE_EPOCH: String(sourceDateEpoch) };
  // one tally over every command: debootstrap's second stage goes on from its first
  let tally = EMPTY_TALLY;
  const read = bootstrapLineReader(spec.bootstrapper);
  const onLine = (line: string) => {
    tally = read(tally, line);
    ctx.progress(describeBootstrap(tally));
  };
  if (spec.bootstrapper === 'mmdebstrap') {
    await ctx.exec(mmdebstrapArgs(spec, partial), { env, debianPackage: 'mmdebstrap', onLine });
  } else {
    const target = `${partial}.d`;
    ctx.defer(() => rm(target, { recursive: true, force: true }), `remove ${target}`);
    for (const argv of debootstrapArgs(spec, target, partial)) await ctx.exec(argv, { env, debianPackage: 'debootstrap', onLine });
  }
  if (!(await exists(partial))) throw new Error(`${spec.bootstrapper} exited 0 but wrote no ${partial}`);
  await publish(partial, paths.output);
  await writeJsonAtomically(paths.meta, { key, sourceDateEpoch, spec } satisfies BaseMeta);
  ctx.state.sourceDateEpoch = sourceDateEpoch;
}
