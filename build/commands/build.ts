/**
 * `mcdebian build --board ID [-c FILE] [--explain]`: runs the plan. Host prerequisites and free
 * space are checked before any step runs; Ctrl-C stops the running command and cleans up; a
 * failed build leaves out/<board> as it was and its log as out/<board>.failed-build.log.
 */
import { mkdir, rename, rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { getBoard } from '../../board/index.js';
import { createBuildContext } from '../core/context.js';
import { InterruptedError, UserError } from '../core/errors.js';
import { runSteps } from '../core/runner.js';
import { readJson, writeJsonAtomically } from '../core/stage-cache.js';
import { holdExclusively } from '../core/stage-lock.js';
import { explainStages, type StageInputs } from '../explain.js';
import { checkPrerequisite, prerequisitesFor } from '../host-tools.js';
import type { Plan } from '../pipeline.js';
import { formatSize } from '../config/size.js';
import { writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';
import { debianArch, packagesToInstall } from './doctor.js';
import { planFlags, planOptionsOf, resolvePlan, type PlanCommandOptions } from './plan.js';

/** Free space a build needs where the cache and the output live (base, rootfs, tar, ext4, image). */
const REQUIRED_FREE_BYTES = 4 * 1024 ** 3;

export interface BuildCommandOptions extends Omit<PlanCommandOptions, 'json'> {
  explain: boolean;
  json: boolean;
}

export async function runBuild(context: CommandContext, options: BuildCommandOptions): Promise<ExitCode> {
  const plan = await resolvePlan(context, { ...options, generateSecrets: true });
  const lastFile = `${plan.paths.cache}/last/${plan.board}.json`;
  if (options.explain) {
    const previous = await readJson<StageInputs>(lastFile);
    const isCached = (id: string) => plan.steps.find((step) => step.id === id)?.cached === true;
    const cached = { base: isCached('bootstrap'), layer: isCached('configure'), images: false };
    for (const line of explainStages(previous, plan.stageInputs, cached)) context.logger.info(line);
  }
  await checkHost(context, plan);
  const { paths } = plan;
  // two builds of one board into one output directory, or of one board and configuration (one
  // scratch rootfs), would write over each other: the second is refused
  const releaseOut = await holdExclusively(paths.out, paths.out, context.logger);
  const releaseWork = await holdExclusively(paths.work, `the scratch root filesystem ${paths.work}`, context.logger).catch(async (error: unknown) => {
    await releaseOut();
    throw error;
  });
  try {
    return await buildHeld(context, options, plan, lastFile);
  } finally {
    await releaseWork();
    await releaseOut();
  }
}

async function buildHeld(context: CommandContext, options: BuildCommandOptions, plan: Plan, lastFile: string): Promise<ExitCode> {
  const { paths } = plan;
  await rm(paths.staging, { recursive: true, force: true });
  await mkdir(paths.staging, { recursive: true });
  await mkdir(paths.work, { recursive: true });
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => abort.abort(new InterruptedError(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const handle = createBuildContext({ logger: context.logger, logFile: `${paths.staging}/build.log`, signal: abort.signal });
  const started = Date.now();
  try {
    const timings = await runSteps(plan.steps, handle, { interactive: process.stdout.isTTY === true && context.env.CI !== 'true' });
    await writeJsonAtomically(lastFile, plan.stageInputs);
    const result = { board: plan.board, out: paths.out, seconds: (Date.now() - started) / 1000, timings, outputs: plan.outputs.map((o) => o.path) };
    if (options.json) writeJson(context, result);
    else context.stdout.write(`Built ${plan.board} in ${result.seconds.toFixed(0)} s: ${paths.out}\n`);
    return 0;
  } catch (error) {
    const log = `${paths.out}.failed-build.log`;
    await rename(`${paths.staging}/build.log`, log).catch(() => undefined);
    await rm(paths.staging, { recursive: true, force: true });
    if (abort.signal.aborted) throw abort.signal.reason;
    if (error instanceof UserError) throw new UserError(error.message, { hint: [error.hint, `the build log is ${log}`].filter(Boolean).join('; '), cause: error });
    throw error;
  } finally {
    await handle.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Every prerequisite `build` needs, and room on disk, before anything runs. */
async function checkHost(context: CommandContext, plan: Plan): Promise<void> {
  const board = getBoard(plan.board);
  const prerequisites = prerequisitesFor(board, { bootstrapper: plan.bootstrapper, hostArch: debianArch(process.arch) }).filter((p) => p.need === 'required');
  const env = { path: context.env.PATH ?? '', binfmtDir: context.env.MCDEBIAN_BINFMT_DIR ?? '/proc/sys/fs/binfmt_misc', nodeVersion: process.version };
  const failed = (await Promise.all(prerequisites.map((p) => checkPrerequisite(p, env)))).filter((result) => !result.ok);
  if (failed.length > 0) {
    throw new UserError(`the host cannot build ${plan.board}: ${failed.map((r) => `${r.prerequisite.name} (${r.detail})`).join(', ')}`, {
      hint: `apt-get install ${packagesToInstall(failed).join(' ')}; mcdebian doctor --board ${plan.board} explains each`,
    });
  }
  for (const dir of [plan.paths.cache, dirname(plan.paths.out)]) {
    await mkdir(dir, { recursive: true });
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    if (free < REQUIRED_FREE_BYTES) {
      throw new UserError(`only ${formatSize(free)} free in ${dir}; a build needs about ${formatSize(REQUIRED_FREE_BYTES)}`, {
        hint: 'free some space, or point XDG_CACHE_HOME / output: in mcdebian.yaml elsewhere; mcdebian clean empties the cache',
      });
    }
  }
}

export const buildCommand: Command = {
  summary: 'build the image: root filesystem, kernel blob, rootfs.tar/.ext4, usb.img or disk.img, manifest',
  usage: 'mcdebian build --board ID [-c FILE] [--explain] [--json] [--offline] [--bootstrapper mmdebstrap|debootstrap]',
  flags: { ...planFlags, explain: { type: 'boolean', description: 'say which inputs changed since the last build of this board' } },
  run: (context, values) => runBuild(context, { ...planOptionsOf('build', values), explain: values.explain === true }),
};
