/**
 * config + board -> plan. The table of contents of a build: which steps exist for the board, in
 * order, each with the commands it will run, the files it writes and the cache key of its stage.
 * Pure: everything it needs from the host (mirrors, tool versions, kernel facts, which cache
 * entries exist) is passed in.
 */
import { join } from 'node:path';
import type { Board } from '../board/board.js';
import { basePackages } from '../rootfs/packages.js';
import { bootstrapStep, type BootstrapSpec, type Bootstrapper } from '../rootfs/bootstrap.js';
import { configureStep, renderBaseConfig, type BaseConfig, type LayerFile } from '../rootfs/configure.js';
import { overlayFileDigests, overlayPackages, renderOverlays, type RenderedOverlays } from '../overlays/render.js';
import { assembleStep } from './assemble.js';
import { computeBudget, type FlashBudget } from './budget.js';
import type { Config } from './config/load.js';
import { formatSize } from './config/size.js';
import { cacheKey, stableUuid } from './core/cache-key.js';
import { UserError } from './core/errors.js';
import { buildPaths, type BuildPaths } from './core/paths.js';
import type { Step } from './core/step.js';
import type { ToolVersions } from './core/tool-versions.js';
import { diskImageStep, diskRootfsSize, espStep } from './disk-image.js';
import { ext4Step, ROOT_LABEL } from './ext4.js';
import type { LayerFileInput, StageInputs } from './explain.js';
import type { KernelFacts } from './kernel-facts.js';
import { manifestStep, type OverlayRecord, type SecretRecord } from './manifest.js';
import { overlayChecksStep, overlayOutputsStep } from './overlay-steps.js';
import { rootfsTarStep } from './rootfs-tar.js';
import { kernelBlobStep } from './uimage.js';
import { usbImageStep, usbRootfsSize } from './usb-image.js';

/** Bumped when the layout of a stage's output changes, so old cache entries are not reused. */
const STAGE_FORMAT = 1;

/** Host tools whose version is part of a stage's key, by stage. */
export const STAGE_TOOLS = {
  base: ['mmdebstrap', 'debootstrap', 'qemu-user-static'],
  images: ['e2fsprogs', 'u-boot-tools', 'fdisk', 'dosfstools', 'mtools', 'coreutils', 'tar'],
} as const;

export interface PlanOutput {
  path: string;
  description: string;
}

export interface Plan {
  board: string;
  arch: string;
  suite: string;
  mirror: string;
  securityMirror?: string;
  /** `config` or the host file the mirror came from. */
  mirrorSource: string;
  bootstrapper: Bootstrapper;
  packages: string[];
  kernel: Omit<KernelFacts, 'parts'>;
  /** The keys of the cached stages: the base tarball and the configuration layer. */
  cacheKeys: { base: string; layer: string };
  /** What each key hashes, for `build --explain`. */
  stageInputs: StageInputs;
  steps: Step[];
  outputs: PlanOutput[];
  paths: BuildPaths;
  budget: FlashBudget;
  /** Things that will not stop the build but that the user should know. */
  warnings: string[];
}

export interface PlanInputs {
  config: Config;
  mirror: string;
  securityMirror?: string;
  mirrorSource: string;
  bootstrapper: Bootstrapper;
  toolVersions: ToolVersions;
  kernel: KernelFacts;
  cacheDir: string;
  /** sha256 over the files the layer copies (rootfs/files/), so that editing one changes the key. */
  layerSourcesHash: string;
  /** The overlays' Node services, bundled: path in the image -> code. */
  bundles?: Readonly<Record<string, string>>;
  /** Which stage cache entries exist, by key. */
  isCached?: (stage: 'base' | 'layer', key: string) => boolean;
}

/** The planner's inputs but the kernel facts, which are looked up knowing the planned layer. */
export type LayerInputs = Omit<PlanInputs, 'kernel'>;

/** The configuration layer a build of these inputs writes, and what it derives from (`render` writes it alone). */
export interface PlannedLayer {
  spec: BootstrapSpec;
  baseKey: string;
  rootUuid: string;
  overlays: RenderedOverlays;
  /** The base configuration with the overlays' files and units. */
  layer: BaseConfig;
}

/** The layer, computed exactly as the build computes it. */
export function planLayer(inputs: LayerInputs): PlannedLayer {
  const { config } = inputs;
  const board = config.board;
  const spec: BootstrapSpec = {
    bootstrapper: inputs.bootstrapper,
    suite: config.suite,
    arch: board.arch,
    mirror: inputs.mirror,
    securityMirror: inputs.securityMirror,
    withUpdates: config.buildWithUpdates,
    packages: basePackages(board, [...config.packages, ...overlayPackages(config.resolvedOverlays)]),
  };
  const baseKey = cacheKey(stageInputsOf(inputs, spec, {}).base);
  // the root UUID follows the base and the board, not the hostname, so a hostname change keeps it
  const rootUuid = stableUuid(`${baseKey}:${board.id}:rootfs`);
  const overlays = renderOverlays(config.resolvedOverlays, { board, hostname: config.hostname, lanAddress: config.network.lan.address }, inputs.bundles);
  const layer = withUserFiles(withOverlays(renderBaseConfig({ ...config, board, mirror: inputs.mirror, securityMirror: inputs.securityMirror, rootUuid }), overlays), config, overlays.origins);
  return { spec, baseKey, rootUuid, overlays, layer };
}

/** The build plan for the config's board. */
export function planBuild(inputs: PlanInputs): Plan {
  const { config, kernel } = inputs;
  const board = config.board;
  const planned = planLayer(inputs);
  const { spec, baseKey, rootUuid, overlays, layer } = planned;
  const stageInputs = stageInputsOf(inputs, spec, layerFileInputs(planned, config));
  const keys = { base: baseKey, layer: cacheKey(stageInputs.layer) };
  const paths = buildPaths({ cache: inputs.cacheDir, board: board.id, outputDir: join(config.dir, config.output), keys });
  const cached = (stage: 'base' | 'layer') => inputs.isCached?.(stage, keys[stage]) ?? false;
  const release = kernel.release ?? '<kernel-release>';
  const uefi = board.bootMethod === 'uefi';
  const steps: Step[] = [
    bootstrapStep(spec, { output: paths.base, meta: paths.baseMeta }, { key: keys.base, cached: cached('base') }),
    configureStep(layer, { dir: paths.layer, key: keys.layer, cached: cached('layer'), summary: [...configSummary(config), ...overlays.notes] }),
    assembleStep({
      paths,
      units: layer.units,
      users: config.users.map((user) => user.name).filter((name) => name !== 'root'),
      modeIfNew: layer.files.filter((file) => file.modeIfNew).map((file) => file.path),
      plannedRelease: release,
      initramfsCache: initramfsCachePath(inputs, planned),
    }),
    ...(overlays.checks.length > 0 ? [overlayChecksStep(overlays.checks, paths.rootfs)] : []),
    uefi
      ? espStep({ rootfs: paths.rootfs, dir: join(paths.work, 'esp'), rootUuid, console: `${board.console.device},${board.console.baud}` }, release)
      : kernelBlobStep({ board, rootfs: paths.rootfs, work: paths.work, outDir: paths.staging, finalDir: paths.out, plannedRelease: release }),
    rootfsTarStep({ rootfs: paths.rootfs, outDir: paths.staging, finalDir: paths.out }),
    ...imageSteps(config, paths, { rootUuid }),
    ...(overlays.outputs.length > 0 ? [overlayOutputsStep(overlays.outputs, paths.staging, paths.out)] : []),
    manifestStep({
      board: board.id, rootfs: paths.rootfs, staging: paths.staging, out: paths.out,
      inputs: { ...keysAndConfig(inputs, keys), hash: cacheKey({ keys, stageInputs }) },
      secrets: secretsOf(layer.files),
      overlays: overlayRecords(config, overlays),
      userFiles: config.userFiles.filter((file) => !file.modeIfNew).map((file) => ({ path: file.path, mode: `0${file.mode.toString(8)}`, ...(file.hostFile ? { sha256: file.hostFile.sha256 } : {}), ...(file.symlink === undefined ? {} : { target: file.symlink }) })),
      rootUuid,
    }),
  ];
  const { parts: _parts, ...kernelSummary } = kernel;
  return {
    board: board.id,
    arch: board.arch,
    suite: config.suite,
    mirror: inputs.mirror,
    securityMirror: inputs.securityMirror,
    mirrorSource: inputs.mirrorSource,
    bootstrapper: inputs.bootstrapper,
    packages: [...spec.packages],
    kernel: kernelSummary,
    cacheKeys: keys,
    stageInputs,
    steps,
    outputs: planOutputs(board, paths.out),
    paths,
    budget: computeBudget(board, kernel.parts),
    warnings: planWarnings(config),
  };
}

/** The base layer with the overlays' files and units; two writers of one path is a bug. */
function withOverlays(base: BaseConfig, overlays: RenderedOverlays): BaseConfig {
  const files = [...base.files, ...overlays.files];
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new Error(`two parts of the layer write ${file.path}`);
    seen.add(file.path);
  }
  return { files, units: [...base.units, ...overlays.units] };
}

/**
 * The user's `files:` tree over the layer. A file there replaces one of the base configuration
 * (that is what the tree is for: a motd, an nftables ruleset); one an overlay renders is refused,
 * since the overlay's checks and units depend on its own file. A directory the layer already
 * names keeps the layer's mode.
 */
function withUserFiles(layer: BaseConfig, config: Config, origins: Readonly<Record<string, string>>): BaseConfig {
  if (config.userFiles.length === 0) return layer;
  const byPath = new Map(layer.files.map((file) => [file.path, file]));
  const conflicts: string[] = [];
  for (const file of config.userFiles) {
    const existing = byPath.get(file.path);
    if (existing && isDirectory(existing) && isDirectory(file)) continue;
    const overlay = origins[file.path];
    if (overlay) conflicts.push(`${join(config.files!, file.path)} would replace ${file.path}, which the ${overlay} overlay renders`);
    else byPath.set(file.path, file);
  }
  if (conflicts.length > 0) {
    throw new UserError(`files: ${conflicts.length} of your files collide with an overlay's:\n  ${conflicts.join('\n  ')}`, {
      hint: 'remove them from the files: tree, or change the overlay\'s settings in mcdebian.yaml instead',
    });
  }
  return { files: [...byPath.values()], units: layer.units };
}

const isDirectory = (entry: LayerFile) => entry.content === undefined && entry.source === undefined && entry.symlink === undefined && entry.hostFile === undefined;

/** What the layer's key records of an entry: a host file by its hash, not by where the checkout is. */
const keyOfEntry = ({ hostFile, ...entry }: LayerFile) => (hostFile ? { ...entry, sha256: hostFile.sha256 } : entry);

/** Where each secret lands in the image, for the manifest: never its content. */
function secretsOf(files: readonly LayerFile[]): SecretRecord[] {
  return files.flatMap((file) => (file.secret ? [{ ...file.secret, path: file.path, mode: `0${file.mode.toString(8)}` }] : []));
}

/**
 * Where the stage cache keeps the initramfs of these inputs. Its key hashes what the initramfs
 * depends on: the base (kernel, tools) and the layer's initramfs settings.
 */
export function initramfsCachePath(inputs: LayerInputs, planned: PlannedLayer = planLayer(inputs)): string {
  const files = planned.layer.files.filter((entry) => entry.path.startsWith('/etc/initramfs-tools/'));
  const key = cacheKey({ format: STAGE_FORMAT, base: planned.baseKey, board: inputs.config.board.id, files, sources: inputs.layerSourcesHash });
  return join(inputs.cacheDir, 'initramfs', `${key}.img`);
}

/** The module names the layer's /etc/initramfs-tools/modules lists (initramfs-tools(7): one a line, # comments). */
export function initramfsModules(planned: PlannedLayer): string[] {
  const list = planned.layer.files.find((entry) => entry.path === '/etc/initramfs-tools/modules')?.content ?? '';
  return list.split('\n').map((line) => line.replace(/#.*$/, '').trim().split(/\s+/)[0] ?? '').filter(Boolean);
}

/** Each file of the layer by path: the part of the image that put it there, and a digest of the entry (never its content). */
function layerFileInputs(planned: PlannedLayer, config: Config): Record<string, LayerFileInput> {
  const userPaths = new Set(config.userFiles.map((file) => file.path));
  const partOf = (path: string) => planned.overlays.origins[path] ?? (userPaths.has(path) ? 'files:' : 'base');
  return Object.fromEntries(planned.layer.files.map((entry) => [entry.path, { part: partOf(entry.path), digest: cacheKey(keyOfEntry(entry)) }]));
}

/** Each overlay with the units it enables and the files it put into the image (secrets by path, never content). */
function overlayRecords(config: Config, overlays: RenderedOverlays): OverlayRecord[] {
  return config.resolvedOverlays.map(({ overlay }) => ({
    name: overlay.name,
    units: overlays.unitsByOverlay[overlay.name] ?? [],
    files: overlays.files.filter((file) => overlays.origins[file.path] === overlay.name).map((file) => ({
      path: file.path,
      mode: `0${file.mode.toString(8)}`,
      ...(file.secret ? { secret: true as const } : {}),
      ...(file.symlink === undefined ? {} : { target: file.symlink }),
    })),
  }));
}

function stageInputsOf(inputs: LayerInputs, spec: BootstrapSpec, layerFiles: Record<string, LayerFileInput>): StageInputs {
  const { config } = inputs;
  const tools = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, inputs.toolVersions[name] ?? 'absent']));
  const base = { format: STAGE_FORMAT, spec, tools: tools(STAGE_TOOLS.base) };
  const layer = {
    format: STAGE_FORMAT,
    base: cacheKey(base),
    board: config.board.id,
    hostname: config.hostname,
    users: config.users.map((user) => ({ name: user.name, keys: user.authorizedKeys.map((key) => key.key) })),
    network: config.network,
    overlays: config.overlays,
    overlayFiles: overlayFileDigests(config.resolvedOverlays),
    files: layerFiles,
    sources: inputs.layerSourcesHash,
  };
  const images = { format: STAGE_FORMAT, layer: cacheKey(layer), size: config.image.size, tools: tools(STAGE_TOOLS.images) };
  return { base, layer, images };
}

function keysAndConfig(inputs: LayerInputs, keys: Plan['cacheKeys']): Record<string, unknown> {
  return { config: inputs.config.file ?? null, mirror: inputs.mirror, securityMirror: inputs.securityMirror ?? null, suite: inputs.config.suite, bootstrapper: inputs.bootstrapper, cacheKeys: keys };
}

function configSummary(config: Config): string[] {
  const board = config.board;
  const network = board.network.kind === 'router'
    ? `br0 over ${board.network.lanPorts.join(', ')} at ${config.network.lan.address}; ${config.network.wan.mode} on ${board.network.wanPort}`
    : 'DHCP on the first Ethernet interface';
  return [
    `hostname ${config.hostname}; ${network}`,
    `serial getty on ${board.console.device} at ${board.console.baud}; root login by SSH key only`,
    `overlays: ${Object.keys(config.overlays).join(', ') || 'none'}`,
  ];
}

/** The image steps: made afresh by every build, so they have no cache key. */
function imageSteps(config: Config, paths: BuildPaths, options: { rootUuid: string }): Step[] {
  const board = config.board;
  const uefi = board.bootMethod === 'uefi';
  const ext4 = (dir: string) => join(dir, 'rootfs.ext4');
  const spec = {
    source: paths.rootfs,
    output: ext4(paths.staging),
    label: ROOT_LABEL,
    uuid: options.rootUuid,
    hashSeed: stableUuid(`${paths.uuidSeed}:hash`),
    sizeBytes: uefi ? diskRootfsSize(config.image.size) : usbRootfsSize(config.image.size),
    ubootReadable: !uefi,
  };
  const steps = [ext4Step(spec, { finalOutput: ext4(paths.out) })];
  const sizeText = formatSize(config.image.size);
  if (uefi) {
    const gpt = {
      sizeBytes: config.image.size,
      diskGuid: stableUuid(`${paths.uuidSeed}:disk`),
      espGuid: stableUuid(`${paths.uuidSeed}:esp`),
      rootGuid: stableUuid(`${paths.uuidSeed}:root`),
    };
    const disk = { ...gpt, espDir: join(paths.work, 'esp'), espImage: join(paths.work, 'esp.img'), ext4: spec, output: join(paths.staging, 'disk.img') };
    steps.push(diskImageStep(disk, { output: join(paths.out, 'disk.img'), sizeText }));
  } else {
    const usb = { sizeBytes: config.image.size, diskId: options.rootUuid.slice(0, 8), ext4: spec, output: join(paths.staging, 'usb.img') };
    steps.push(usbImageStep(usb, { output: join(paths.out, 'usb.img'), sizeText }));
  }
  return steps;
}

function planWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.users.some((user) => user.authorizedKeys.length > 0)) {
    warnings.push('no user has an SSH key (users: in mcdebian.yaml): the image has no password, so only the serial console will let you in');
  }
  if (config.board.kernelReadWindow && !config.board.kernelReadWindow.confirmed) {
    warnings.push(`the stock read window of ${config.board.id} is assumed, not confirmed: check it with fw_printenv before flashing`);
  }
  if (!config.buildWithUpdates) {
    warnings.push(`buildWithUpdates is off: the image is built from ${config.suite} alone; run apt upgrade on the device for ${config.suite}-updates and -security`);
  }
  return warnings;
}

function planOutputs(board: Board, out: string): PlanOutput[] {
  const outputs: PlanOutput[] = [];
  if (board.bootMethod !== 'uefi') outputs.push({ path: `${out}/kernel.uimg`, description: 'kernel blob for the NAND slot (multi-file uImage)' });
  outputs.push(
    { path: `${out}/rootfs.tar`, description: 'root filesystem, sorted tar' },
    { path: `${out}/rootfs.ext4`, description: 'root filesystem, ext4' },
    board.bootMethod === 'uefi'
      ? { path: `${out}/disk.img`, description: 'bootable GPT disk (UEFI)' }
      : { path: `${out}/usb.img`, description: 'USB stick image (MBR, ext4 root)' },
    { path: `${out}/manifest.json`, description: 'inputs, artifacts with sha256, packages, flash budget' },
    { path: `${out}/build.log`, description: 'every command run and its output' },
  );
  return outputs;
}
