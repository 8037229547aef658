/**
 * `mcdebian plan --board ID [-c FILE] [--json] [--offline]`: the verified build plan, printed.
 * Reads the config, the host's mirrors and tool versions, the Debian kernel package's sizes and
 * modules, and the size of a cached initramfs; writes nothing to disk. Exits 1 when the build
 * could not succeed (blob larger than the slot).
 */
import { stat } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { secretFileNotices } from '../config/secret-notices.js';
import { cacheRoot } from '../core/paths.js';
import { isStageCached } from '../core/stage-cache.js';
import { readToolVersions } from '../core/tool-versions.js';
import { lookupKernelFacts } from '../kernel-facts.js';
import { resolveMirrors } from '../mirrors.js';
import { initramfsCachePath, initramfsModules, planBuild, planLayer, STAGE_TOOLS, type LayerInputs, type Plan, type PlanInputs } from '../pipeline.js';
import { buildSuites } from '../../rootfs/debian-archive.js';
import { BOOTSTRAPPERS, type Bootstrapper } from '../../rootfs/bootstrap.js';
import { hashLayerSources } from '../../rootfs/configure.js';
import { bundleServices } from '../../overlays/bundle.js';
import { overlayServices } from '../../overlays/render.js';
import { commonFlags, stringFlag, UsageError, writeJson, type Command, type CommandContext, type ExitCode, type Flag, type FlagValues } from '../core/command.js';
import { formatPlan } from './plan-text.js';

export interface PlanCommandOptions {
  board?: string;
  config?: string;
  json: boolean;
  offline: boolean;
  bootstrapper: Bootstrapper;
}

/** Everything `plan`, `build` and `render` resolve before planning. */
export async function resolvePlanInputs(context: CommandContext, options: Omit<PlanCommandOptions, 'json'> & { generateSecrets?: boolean }): Promise<PlanInputs> {
  const config = await loadConfig({ file: options.config, board: options.board, cwd: context.cwd, generateSecrets: options.generateSecrets });
  for (const notice of secretFileNotices(config.resolvedOverlays)) context.logger[notice.level](notice.message);
  const mirrors = await resolveMirrors(config, { aptRoot: context.env.MCDEBIAN_APT_ROOT });
  context.logger.debug(`mirror ${mirrors.mirror} from ${mirrors.source}`);
  const inputs: LayerInputs = {
    config,
    mirror: mirrors.mirror,
    securityMirror: mirrors.securityMirror,
    mirrorSource: mirrors.source,
    bootstrapper: options.bootstrapper,
    toolVersions: await readToolVersions([...STAGE_TOOLS.base, ...STAGE_TOOLS.images]),
    cacheDir: cacheRoot(context.env),
    layerSourcesHash: await hashLayerSources(),
    bundles: await bundleServices(overlayServices(config.resolvedOverlays)),
    isCached: (stage, key) => isStageCached(cacheRoot(context.env), stage, key),
  };
  const planned = planLayer(inputs);
  const cachedInitramfs = initramfsCachePath(inputs, planned);
  const measured = await stat(cachedInitramfs).then((info) => ({ bytes: info.size, path: cachedInitramfs }), () => undefined);
  const kernel = await lookupKernelFacts(config.board, {
    suites: buildSuites(planned.spec),
    offline: options.offline,
    measuredInitramfs: measured,
    // only a blob that must fit a read window needs its initramfs bounded
    initramfsModules: config.board.kernelReadWindow ? initramfsModules(planned) : undefined,
  });
  if (kernel.lookup === 'failed') context.logger.warn(`kernel package sizes unknown: ${kernel.reason}`);
  return { ...inputs, kernel };
}

/** The verified plan of `plan` and `build`. */
export async function resolvePlan(context: CommandContext, options: Omit<PlanCommandOptions, 'json'> & { generateSecrets?: boolean }): Promise<Plan> {
  return planBuild(await resolvePlanInputs(context, options));
}

export async function runPlan(context: CommandContext, options: PlanCommandOptions): Promise<ExitCode> {
  const plan = await resolvePlan(context, options);
  if (options.json) writeJson(context, plan);
  else context.stdout.write(formatPlan(plan));
  return plan.budget.status === 'exceeds-partition' ? 1 : 0;
}

export const bootstrapperFlag: Flag = { type: 'string', value: 'mmdebstrap|debootstrap', description: 'what bootstraps the root filesystem (default mmdebstrap)' };

/** --bootstrapper's value, checked. */
export function bootstrapperOf(values: FlagValues): Bootstrapper {
  const value = stringFlag(values, 'bootstrapper') ?? 'mmdebstrap';
  if (!(BOOTSTRAPPERS as readonly string[]).includes(value)) throw new UsageError(`--bootstrapper must be one of ${BOOTSTRAPPERS.join(', ')}, not "${value}"`);
  return value as Bootstrapper;
}

/** The flags plan and build share, checked the same way. */
export const planFlags = {
  board: commonFlags.board,
  config: commonFlags.config,
  json: commonFlags.json,
  offline: { type: 'boolean', description: 'do not ask the mirror (the flash budget then reads "unknown")' },
  bootstrapper: bootstrapperFlag,
} satisfies Record<string, Flag>;

export function planOptionsOf(command: string, values: FlagValues): PlanCommandOptions {
  const board = stringFlag(values, 'board');
  const config = stringFlag(values, 'config');
  if (board === undefined && config === undefined) throw new UsageError(`${command} needs --board ID or -c FILE`, 'mcdebian boards lists the board ids');
  return { board, config, json: values.json === true, offline: values.offline === true, bootstrapper: bootstrapperOf(values) };
}

export const planCommand: Command = {
  summary: 'print the build plan: steps, commands, packages, outputs, cache keys, flash budget',
  usage: 'mcdebian plan --board ID [-c FILE] [--json] [--offline] [--bootstrapper mmdebstrap|debootstrap]',
  flags: planFlags,
  run: (context, values) => runPlan(context, planOptionsOf('plan', values)),
};
