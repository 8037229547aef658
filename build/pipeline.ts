/**
 * config + board -> plan. The table of contents of a build: which steps exist for the board, in
 * order, each with the commands it will run, the files it writes and the cache key of its stage.
 * Pure: everything it needs from the host (mirrors, tool versions, kernel facts) is passed in.
 */
import { join } from 'node:path';
import type { Board } from '../board/board.js';
import { basePackages } from '../rootfs/packages.js';
import { aptSourceLines, debootstrapArgs, mmdebstrapArgs, type BootstrapSpec, type Bootstrapper } from '../rootfs/bootstrap.js';
import { computeBudget, type FlashBudget } from './budget.js';
import type { Config } from './config/load.js';
import { formatSize } from './config/size.js';
import { cacheKey, stableUuid } from './core/cache-key.js';
import type { ToolVersions } from './core/tool-versions.js';
import { diskRootfsSize, gptPartitionScript, mcopyArgs, mkfsFatArgs, ROOT_OFFSET } from './disk-image.js';
import { mke2fsArgs, ROOT_LABEL } from './ext4.js';
import type { KernelFacts } from './kernel-facts.js';
import { dumpDtbArgs, mkimageArgs, uimageParts } from './uimage.js';
import { ddArgs, PARTITION_START, sfdiskArgs, usbPartitionScript, usbRootfsSize } from './usb-image.js';

/** Bumped when the layout of a stage's output changes, so old cache entries are not reused. */
const STAGE_FORMAT = 1;

/** Host tools whose version is part of a stage's key, by stage. */
export const STAGE_TOOLS = {
  base: ['mmdebstrap', 'debootstrap', 'qemu-user-static'],
  images: ['e2fsprogs', 'u-boot-tools', 'fdisk', 'dosfstools', 'mtools', 'coreutils'],
} as const;

export interface PlannedStep {
  id: string;
  title: string;
  /** Commands run, in order; data fed to stdin is shown beside them. */
  commands: { argv: string[]; stdin?: string }[];
  /** Files and directories the step writes. */
  writes: string[];
  /** The stage cache key, for steps whose output is cached. */
  cacheKey?: string;
  /** What the step does beyond its commands. */
  notes: string[];
}

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
  cacheKeys: { base: string; layer: string; images: string };
  steps: PlannedStep[];
  outputs: PlanOutput[];
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
}

/** The build plan for the config's board. */
export function planBuild(inputs: PlanInputs): Plan {
  const { config, kernel } = inputs;
  const board = config.board;
  const spec: BootstrapSpec = {
    bootstrapper: inputs.bootstrapper,
    suite: config.suite,
    arch: board.arch,
    mirror: inputs.mirror,
    securityMirror: inputs.securityMirror,
    packages: basePackages(board, config.packages),
  };
  const keys = stageKeys(inputs, spec);
  const paths = planPaths(inputs, keys);
  const release = kernel.release ?? '<kernel-release>';
  const steps: PlannedStep[] = [
    bootstrapStep(spec, paths.base, keys.base),
    configureStep(config, spec, paths.layer, keys.layer),
    assembleStep(paths, release),
  ];
  if (board.bootMethod === 'uefi') steps.push(espStep(paths, release));
  else steps.push(kernelBlobStep(board, paths, release));
  steps.push(rootfsTarStep(paths), ...diskImageSteps(config, paths, keys.images), manifestStep(paths));
  const { parts: _parts, ...kernelSummary } = kernel;
  return {
    board: board.id,
    arch: board.arch,
    suite: config.suite,
    mirror: inputs.mirror,
    securityMirror: inputs.securityMirror,
    mirrorSource: inputs.mirrorSource,
    bootstrapper: inputs.bootstrapper,
    packages: spec.packages as string[],
    kernel: kernelSummary,
    cacheKeys: keys,
    steps,
    outputs: planOutputs(board, paths.out),
    budget: computeBudget(board, kernel.parts),
    warnings: planWarnings(config),
  };
}

function planWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.users.some((user) => user.authorizedKeys.length > 0)) {
    warnings.push('no user has an SSH key (users: in mcdebian.yaml): the image has no password, so only the serial console will let you in');
  }
  if (config.board.kernelReadWindow && !config.board.kernelReadWindow.confirmed) {
    warnings.push(`the stock read window of ${config.board.id} is assumed, not confirmed: check it with fw_printenv before flashing`);
  }
  return warnings;
}

function stageKeys(inputs: PlanInputs, spec: BootstrapSpec): Plan['cacheKeys'] {
  const { config } = inputs;
  const tools = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, inputs.toolVersions[name] ?? 'absent']));
  const base = cacheKey({ format: STAGE_FORMAT, spec, tools: tools(STAGE_TOOLS.base) });
  const layer = cacheKey({
    format: STAGE_FORMAT,
    base,
    board: config.board.id,
    hostname: config.hostname,
    users: config.users.map((user) => ({ name: user.name, keys: user.authorizedKeys.map((key) => key.key) })),
    network: config.network,
    overlays: config.overlays,
  });
  const images = cacheKey({ format: STAGE_FORMAT, layer, size: config.image.size, tools: tools(STAGE_TOOLS.images) });
  return { base, layer, images };
}

interface PlanPaths {
  base: string;
  layer: string;
  work: string;
  rootfs: string;
  out: string;
  /** Seed for the fixed UUIDs of this build's filesystems. */
  uuidSeed: string;
}

function planPaths(inputs: PlanInputs, keys: Plan['cacheKeys']): PlanPaths {
  const work = join(inputs.cacheDir, 'work', inputs.config.board.id, keys.layer.slice(0, 16));
  return {
    base: join(inputs.cacheDir, 'base', `${keys.base}.tar`),
    layer: join(inputs.cacheDir, 'layer', keys.layer),
    work,
    rootfs: join(work, 'rootfs'),
    out: join(inputs.config.dir, inputs.config.output, inputs.config.board.id),
    uuidSeed: keys.layer,
  };
}

function bootstrapStep(spec: BootstrapSpec, output: string, key: string): PlannedStep {
  const commands = spec.bootstrapper === 'mmdebstrap'
    ? [{ argv: mmdebstrapArgs(spec, output) }]
    : debootstrapArgs(spec, `${output}.d`).map((argv) => ({ argv }));
  return {
    id: 'bootstrap',
    title: `Bootstrap Debian ${spec.suite} ${spec.arch} with ${spec.bootstrapper}`,
    commands,
    writes: [output],
    cacheKey: key,
    notes: [`${spec.packages.length} packages; SOURCE_DATE_EPOCH fixes timestamps; reused while the key is unchanged`],
  };
}

function configureStep(config: Config, spec: BootstrapSpec, layer: string, key: string): PlannedStep {
  const board = config.board;
  const files = ['/etc/hostname', '/etc/hosts', '/etc/fstab', '/etc/apt/sources.list', '/etc/systemd/network/', '/etc/initramfs-tools/modules'];
  if (board.ubootEnv) files.push('/etc/fw_env.config');
  files.push(...config.users.map((user) => (user.name === 'root' ? '/root/.ssh/authorized_keys' : `/home/${user.name}/.ssh/authorized_keys`)));
  const network = board.network.kind === 'router'
    ? `br0 over ${board.network.lanPorts.join(', ')} at ${config.network.lan.address}; ${config.network.wan.mode} on ${board.network.wanPort}`
    : 'DHCP on the first Ethernet interface';
  return {
    id: 'configure',
    title: 'Render the configuration layer',
    commands: [],
    writes: [layer],
    cacheKey: key,
    notes: [
      `files: ${files.join(' ')}`,
      `hostname ${config.hostname}; ${network}`,
      `apt sources: ${aptSourceLines(spec).join(' | ')}`,
      `serial getty on ${board.console.device} at ${board.console.baud}; root login by SSH key only`,
      `overlays: ${Object.keys(config.overlays).join(', ') || 'none'}`,
    ],
  };
}

function assembleStep(paths: PlanPaths, release: string): PlannedStep {
  return {
    id: 'assemble',
    title: 'Assemble the root filesystem and run the in-target work',
    commands: [
      { argv: ['tar', '--extract', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--file', paths.base, '--directory', paths.rootfs] },
      { argv: ['cp', '--archive', `${paths.layer}/.`, `${paths.rootfs}/`] },
      { argv: ['chroot', paths.rootfs, 'update-initramfs', '-c', '-k', release] },
    ],
    writes: [paths.rootfs],
    notes: ['enables the units of the layer and runs every overlay\'s static checks with the target\'s own tools'],
  };
}

function kernelBlobStep(board: Board, paths: PlanPaths, release: string): PlannedStep {
  const files = {
    zImage: `${paths.rootfs}/boot/vmlinuz-${release}`,
    initramfs: `${paths.rootfs}/boot/initrd.img-${release}`,
    dtb: board.dtb?.source === 'qemu-dumpdtb' ? `${paths.work}/${board.dtb.file}` : `${paths.rootfs}/usr/lib/linux-image-${release}/${board.dtb?.file}`,
    zImageWithDtb: `${paths.work}/zImage-dtb`,
  };
  const output = `${paths.out}/kernel.uimg`;
  const commands = board.dtb?.source === 'qemu-dumpdtb' ? [{ argv: dumpDtbArgs(files.dtb) }] : [];
  commands.push({ argv: mkimageArgs(board, { parts: uimageParts(board, files), output, name: `McDebian ${board.id}` }) });
  return {
    id: 'kernel-blob',
    title: 'Make the kernel blob (multi-file uImage)',
    commands,
    writes: board.dtb?.placement === 'appended' ? [files.zImageWithDtb, output] : [files.dtb, output],
    notes: [board.dtb?.placement === 'appended' ? `${board.dtb.file} appended to the zImage (the stock U-Boot passes no device tree)` : 'the DTB is the third part (u-boot-qemu has no ATAGs)'],
  };
}

function espStep(paths: PlanPaths, release: string): PlannedStep {
  const esp = `${paths.work}/esp`;
  return {
    id: 'esp',
    title: 'Fill the EFI system partition',
    commands: [],
    writes: [`${esp}/EFI/BOOT/BOOTX64.EFI`, `${esp}/loader/loader.conf`, `${esp}/loader/entries/mcdebian.conf`, `${esp}/mcdebian/vmlinuz`, `${esp}/mcdebian/initrd.img`],
    notes: [`systemd-boot from /usr/lib/systemd/boot/efi/systemd-bootx64.efi; kernel and initramfs ${release}; root=PARTLABEL=root`],
  };
}

function rootfsTarStep(paths: PlanPaths): PlannedStep {
  return {
    id: 'rootfs-tar',
    title: 'Write rootfs.tar',
    commands: [],
    writes: [`${paths.out}/rootfs.tar`],
    notes: ['entries sorted by path, mtimes set to SOURCE_DATE_EPOCH, numeric owners'],
  };
}

function diskImageSteps(config: Config, paths: PlanPaths, key: string): PlannedStep[] {
  const board = config.board;
  const uefi = board.bootMethod === 'uefi';
  const ext4 = `${paths.out}/rootfs.ext4`;
  const uuid = stableUuid(`${paths.uuidSeed}:rootfs`);
  const ext4Step: PlannedStep = {
    id: 'rootfs-ext4',
    title: 'Make rootfs.ext4',
    commands: [{ argv: mke2fsArgs({
      source: paths.rootfs, output: ext4, label: ROOT_LABEL, uuid, hashSeed: stableUuid(`${paths.uuidSeed}:hash`),
      sizeBytes: uefi ? diskRootfsSize(config.image.size) : usbRootfsSize(config.image.size), ubootReadable: !uefi,
    }) }],
    writes: [ext4],
    cacheKey: key,
    notes: [`label ${ROOT_LABEL}, UUID ${uuid}`],
  };
  if (uefi) {
    const disk = `${paths.out}/disk.img`;
    const esp = `${paths.work}/esp.img`;
    const gpt = { sizeBytes: config.image.size, diskGuid: stableUuid(`${paths.uuidSeed}:disk`), espGuid: stableUuid(`${paths.uuidSeed}:esp`), rootGuid: stableUuid(`${paths.uuidSeed}:root`) };
    return [ext4Step, {
      id: 'disk-image',
      title: 'Make the GPT disk.img',
      commands: [
        { argv: mkfsFatArgs({ output: esp, volumeId: gpt.espGuid.slice(0, 8) }) },
        { argv: mcopyArgs({ image: esp, sourceDir: `${paths.work}/esp` }) },
        { argv: sfdiskArgs(disk), stdin: gptPartitionScript(gpt) },
        { argv: ddArgs({ input: esp, output: disk, offset: PARTITION_START }) },
        { argv: ddArgs({ input: ext4, output: disk, offset: ROOT_OFFSET }) },
      ],
      writes: [esp, disk],
      cacheKey: key,
      notes: [`sparse, ${formatSize(config.image.size)}; boots under UEFI (OVMF)`],
    }];
  }
  const usb = `${paths.out}/usb.img`;
  return [ext4Step, {
    id: 'usb-image',
    title: 'Make the USB stick image usb.img',
    commands: [
      { argv: sfdiskArgs(usb), stdin: usbPartitionScript({ sizeBytes: config.image.size, diskId: uuid.slice(0, 8) }) },
      { argv: ddArgs({ input: ext4, output: usb, offset: PARTITION_START }) },
    ],
    writes: [usb],
    cacheKey: key,
    notes: [`sparse, ${formatSize(config.image.size)}, MBR, one ext4 partition at 1 MiB`],
  }];
}

function manifestStep(paths: PlanPaths): PlannedStep {
  return {
    id: 'manifest',
    title: 'Write manifest.json',
    commands: [],
    writes: [`${paths.out}/manifest.json`, `${paths.out}/build.log`],
    notes: ['inputs and their hash, each artifact\'s size and sha256, installed packages, the flash budget'],
  };
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
