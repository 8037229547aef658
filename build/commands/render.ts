/**
 * `mcdebian render -c FILE --out DIR [--board ID] [--force] [--json] [--bootstrapper B]`: writes what a build of
 * this config puts into the image's configuration layer (the base configuration, the overlays'
 * files and bundled services, the user's own files; secrets at 0600), and each overlay's files
 * for the far side, without bootstrapping, so they can be read and diffed before a build.
 * Reads the config and the host's apt sources (the mirror is in the image's apt sources); asks
 * no mirror. Writes DIR/layer/ (the tree as it lands in /), DIR/<overlay>/ (the far side) and
 * DIR/render.json (every path with its mode, the units to enable).
 */
import { access, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeLayer, type LayerFile } from '../../rootfs/configure.js';
import { commonFlags, stringFlag, UsageError, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';
import { UserError } from '../core/errors.js';
import { writeJsonAtomically } from '../core/stage-cache.js';
import { writeOverlayOutputs } from '../overlay-steps.js';
import { planLayer } from '../pipeline.js';
import { bootstrapperFlag, bootstrapperOf, resolvePlanInputs } from './plan.js';
import type { Bootstrapper } from '../../rootfs/bootstrap.js';

export interface RenderOptions {
  config?: string;
  board?: string;
  out: string;
  force: boolean;
  json: boolean;
  /** Part of the base's key, which the root filesystem's UUID (in fstab) derives from. */
  bootstrapper: Bootstrapper;
}

/** What render.json lists of one layer entry; never a secret's content. */
function describeFile(file: LayerFile) {
  const type = file.symlink !== undefined ? 'symlink' : file.content === undefined && file.source === undefined ? 'directory' : 'file';
  return { path: file.path, type, mode: `0${file.mode.toString(8)}`, ...(file.symlink === undefined ? {} : { target: file.symlink }), ...(file.secret ? { secret: true } : {}) };
}

/** An empty or missing DIR, or (with --force) a previous render's: anything else is refused. */
async function prepareOutput(dir: string, force: boolean): Promise<void> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new UserError(`cannot use ${dir} for the render: ${error.message}`);
  });
  if (entries.length === 0) return mkdir(dir, { recursive: true }).then(() => undefined);
  if (!force) throw new UserError(`${dir} is not empty`, { hint: 'give an empty or new directory, or --force to replace a previous render there' });
  const previous = await access(join(dir, 'render.json')).then(() => true, () => false);
  if (!previous) throw new UserError(`${dir} is not empty and holds no previous render (render.json): --force replaces only a render`, { hint: 'give an empty or new directory' });
  for (const entry of entries) await rm(join(dir, entry), { recursive: true, force: true });
}

export async function runRender(context: CommandContext, options: RenderOptions): Promise<ExitCode> {
  const inputs = await resolvePlanInputs(context, { config: options.config, board: options.board, offline: true, bootstrapper: options.bootstrapper, generateSecrets: true });
  const { layer, overlays } = planLayer(inputs);
  const dir = resolve(context.cwd, options.out);
  await prepareOutput(dir, options.force);
  await writeLayer(layer.files, join(dir, 'layer'));
  await writeOverlayOutputs(overlays.outputs, dir);
  const report = {
    board: inputs.config.board.id,
    dir,
    units: layer.units,
    files: layer.files.map(describeFile),
    outputs: overlays.outputs.map((output) => ({ path: output.path, description: output.description })),
  };
  await writeJsonAtomically(join(dir, 'render.json'), report);
  if (options.json) writeJson(context, report);
  else context.stdout.write(`Rendered ${report.files.length} layer entries (${report.files.filter((file) => file.secret).length} secrets, 0600) to ${join(dir, 'layer')}, ${report.outputs.length} far-side files; render.json lists them\n`);
  return 0;
}

export const renderCommand: Command = {
  summary: 'write the configuration layer and the far-side files a build would make, without building',
  usage: 'mcdebian render -c FILE --out DIR [--board ID] [--force] [--json] [--bootstrapper mmdebstrap|debootstrap]',
  flags: {
    config: commonFlags.config,
    board: commonFlags.board,
    out: { type: 'string', value: 'DIR', description: 'where to write: DIR/layer/ is the tree as it lands in /, DIR/<overlay>/ the far side' },
    force: { type: 'boolean', description: 'replace a previous render in DIR' },
    json: commonFlags.json,
    bootstrapper: bootstrapperFlag,
  },
  run: (context, values) => {
    const out = stringFlag(values, 'out');
    if (out === undefined) throw new UsageError('render needs --out DIR');
    const [config, board] = [stringFlag(values, 'config'), stringFlag(values, 'board')];
    if (config === undefined && board === undefined) throw new UsageError('render needs -c FILE (or --board ID for the base configuration alone)');
    return runRender(context, { config, board, out, force: values.force === true, json: values.json === true, bootstrapper: bootstrapperOf(values) });
  },
};
