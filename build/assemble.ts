/**
 * Assembles the root filesystem in the work directory: the cached base, the configuration
 * layer on top, then the in-target work with the target's own tools (under qemu-user for
 * armhf): users, unit enablement, no baked SSH host keys or machine id, the initramfs. Sets
 * every timestamp newer than SOURCE_DATE_EPOCH back to it. Reads the plan's paths and users;
 * writes <work>/rootfs and the kernel release and initramfs size into the build state.
 */
import { chmod, copyFile, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BuildContext } from './core/context.js';
import { UserError } from './core/errors.js';
import type { BuildPaths } from './core/paths.js';
import { exists, partialPath, publish } from './core/stage-cache.js';
import { buildOnce } from './core/stage-lock.js';
import type { Step } from './core/step.js';

export interface AssembleOptions {
  paths: BuildPaths;
  /** Units to enable with systemctl in the target. */
  units: readonly string[];
  /** Users other than root, created in the target. */
  users: readonly string[];
  /** Directories of the layer whose mode applies only where the base has none (the user's files: tree). */
  modeIfNew?: readonly string[];
  /** The kernel release known at plan time, for the description. */
  plannedRelease: string;
  /**
   * Where the initramfs is cached: its key hashes the base and the layer's initramfs settings,
   * so a hostname or overlay change reuses it instead of 30 s of mkinitramfs under emulation.
   */
  initramfsCache: string;
}

/** The in-target commands, in order (a pure function of the options and the kernel release). */
export function inTargetCommands(options: Pick<AssembleOptions, 'units' | 'users'>, rootfs: string, release: string): string[][] {
  return [
    // the system users the overlays declare in sysusers.d (the base's exist already)
    ['chroot', rootfs, 'systemd-sysusers'],
    ...options.users.map((user) => ['chroot', rootfs, 'useradd', '--create-home', '--user-group', '--shell', '/bin/bash', user]),
    ['chroot', rootfs, 'usermod', '--lock', 'root'],
    ['chroot', rootfs, 'systemctl', 'enable', ...options.units],
    updateInitramfsArgs(rootfs, release),
  ];
}

export function updateInitramfsArgs(rootfs: string, release: string): string[] {
  return ['chroot', rootfs, 'update-initramfs', '-c', '-k', release];
}

export function assembleStep(options: AssembleOptions): Step {
  const { paths } = options;
  return {
    id: 'assemble',
    title: 'Assemble the root filesystem and run the in-target work',
    commands: [
      { argv: ['tar', '--extract', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--file', paths.base, '--directory', paths.rootfs] },
      { argv: ['cp', '--archive', `${paths.layer}/.`, `${paths.rootfs}/`] },
      ...inTargetCommands(options, paths.rootfs, options.plannedRelease).map((argv) => ({ argv })),
    ],
    writes: [paths.rootfs],
    notes: ['removes the SSH host keys and sets /etc/machine-id to "uninitialized": both are made on first boot',
      `the initramfs is reused from ${options.initramfsCache} when it exists`, 'timestamps newer than SOURCE_DATE_EPOCH are set back to it'],
    run: (ctx) => assemble(ctx, options),
  };
}

async function assemble(ctx: BuildContext, options: AssembleOptions): Promise<void> {
  const { rootfs, base, layer } = options.paths;
  await rm(rootfs, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true });
  ctx.defer(() => rm(rootfs, { recursive: true, force: true }), `remove ${rootfs}`);
  await ctx.exec(['tar', '--extract', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--file', base, '--directory', rootfs]);
  const kept = await directoryModes(rootfs, options.modeIfNew ?? []);
  await ctx.exec(['cp', '--archive', `${layer}/.`, `${rootfs}/`]);
  for (const [path, mode] of kept) await chmod(join(rootfs, path), mode);
  await forgetMachineIdentity(rootfs);
  const release = await kernelRelease(rootfs);
  ctx.state.kernelRelease = release;
  const initramfs = updateInitramfsArgs(rootfs, release);
  for (const argv of inTargetCommands(options, rootfs, release)) {
    if (argv.join(' ') === initramfs.join(' ')) await makeInitramfs(ctx, { argv, image: join(rootfs, 'boot', `initrd.img-${release}`), cache: options.initramfsCache });
    else await ctx.exec(argv);
  }
  await checkRootLocked(rootfs);
  const epoch = ctx.state.sourceDateEpoch;
  if (epoch !== undefined) {
    await ctx.exec(['find', rootfs, '-xdev', '-newermt', `@${epoch}`, '-exec', 'touch', '--no-dereference', `--date=@${epoch}`, '{}', '+']);
  }
}

/** The modes of those directories the base already has (cp --archive would replace them). */
async function directoryModes(rootfs: string, paths: readonly string[]): Promise<[string, number][]> {
  const modes: [string, number][] = [];
  for (const path of paths) {
    const stats = await lstat(join(rootfs, path)).catch(() => undefined);
    if (stats?.isDirectory()) modes.push([path, stats.mode & 0o7777]);
  }
  return modes;
}

/** Reuses the cached initramfs of the same inputs, or makes it and caches it. */
async function makeInitramfs(ctx: BuildContext, options: { argv: string[]; image: string; cache: string }): Promise<void> {
  const outcome = (await exists(options.cache)) ? 'reused' : await buildOnce({
    entry: options.cache,
    what: 'the initramfs',
    isDone: () => exists(options.cache),
    build: async () => {
      await ctx.exec(options.argv);
      const partial = partialPath(options.cache);
      await mkdir(dirname(options.cache), { recursive: true });
      ctx.defer(() => rm(partial, { force: true }), `remove ${partial}`);
      await copyFile(options.image, partial);
      await publish(partial, options.cache);
    },
    logger: ctx.logger,
    signal: ctx.signal,
  });
  if (outcome === 'built') return;
  ctx.log(`# initramfs reused from ${options.cache}`);
  await copyFile(options.cache, options.image);
}

/**
 * No two devices may share SSH host keys or a machine id: both are made on first boot.
 * "uninitialized" marks the first boot (machine-id(5)), which is what runs Debian's
 * sshd-keygen.service (ConditionFirstBoot=yes); an empty file would not.
 */
async function forgetMachineIdentity(rootfs: string): Promise<void> {
  const sshDir = join(rootfs, 'etc', 'ssh');
  for (const name of await readdir(sshDir).catch(() => [] as string[])) {
    if (name.startsWith('ssh_host_')) await rm(join(sshDir, name), { force: true });
  }
  await writeFile(join(rootfs, 'etc', 'machine-id'), 'uninitialized\n');
  await rm(join(rootfs, 'var', 'lib', 'dbus', 'machine-id'), { force: true });
}

/** The single kernel under /usr/lib/modules (trixie is merged-/usr). */
async function kernelRelease(rootfs: string): Promise<string> {
  const releases = await readdir(join(rootfs, 'usr', 'lib', 'modules')).catch(() => [] as string[]);
  if (releases.length !== 1) {
    throw new UserError(`expected one kernel in the root filesystem, found ${releases.length} (${releases.join(', ') || 'none'})`, {
      hint: 'the base package set must hold exactly one linux-image package',
    });
  }
  return releases[0]!;
}

/** Checks what `usermod --lock root` did: root has no usable password, login is by SSH key only. */
async function checkRootLocked(rootfs: string): Promise<void> {
  const shadow = await readFile(join(rootfs, 'etc', 'shadow'), 'utf8');
  const hash = shadow.split('\n').find((line) => line.startsWith('root:'))?.split(':')[1];
  if (hash === undefined || !(hash.startsWith('!') || hash.startsWith('*'))) {
    throw new Error(`root's password is not locked after usermod --lock (shadow field "${hash}")`);
  }
}
