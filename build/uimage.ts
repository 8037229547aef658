/**
 * The kernel blob: a legacy multi-file uImage of [zImage + appended DTB, initramfs] for the WRT
 * boards, [zImage, initramfs, DTB] for u-boot-qemu (no ATAG support: flash/README.md, "The QEMU stand-in").
 * Reads board.uimage, board.dtb, board.arch; writes kernel.uimg.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Board } from '../board/board.js';
import { computeBudget } from './budget.js';
import type { BuildContext } from './core/context.js';
import { UserError, VerificationError } from './core/errors.js';
import type { Step } from './core/step.js';
import { dumpDtbArgs } from './qemu.js';

/** Files the blob is made of, before mkimage joins them. */
export interface BlobFiles {
  zImage: string;
  dtb: string;
  initramfs: string;
  /** zImage with the DTB appended, for boards whose DTB travels that way. */
  zImageWithDtb: string;
}

/** mkimage's image name holds 32 bytes including the terminating NUL (IH_NMLEN). */
const IMAGE_NAME_MAX = 31;

const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** The parts of the multi-file image, in order. */
export function uimageParts(board: Board, files: BlobFiles): string[] {
  if (board.dtb?.placement === 'uimage-part') return [files.zImage, files.initramfs, files.dtb];
  return [files.zImageWithDtb, files.initramfs];
}

/** `mkimage -T multi` for the board's load and entry address. */
export function mkimageArgs(board: Board, options: { parts: readonly string[]; output: string; name: string }): string[] {
  if (!board.uimage) throw new Error(`board ${board.id} has no uImage addresses`);
  return [
    'mkimage',
    '-A', board.arch === 'armhf' ? 'arm' : 'x86_64',
    '-O', 'linux',
    '-T', 'multi',
    '-C', 'none',
    '-a', hex8(board.uimage.loadAddress),
    '-e', hex8(board.uimage.entryAddress),
    '-n', options.name.slice(0, IMAGE_NAME_MAX),
    '-d', options.parts.join(':'),
    options.output,
  ];
}

/** The blob's input files inside the assembled root filesystem and the work directory. */
export function blobFiles(board: Board, options: { rootfs: string; work: string; release: string }): BlobFiles {
  return {
    zImage: `${options.rootfs}/boot/vmlinuz-${options.release}`,
    initramfs: `${options.rootfs}/boot/initrd.img-${options.release}`,
    dtb: board.dtb?.source === 'qemu-dumpdtb' ? `${options.work}/${board.dtb.file}` : `${options.rootfs}/usr/lib/linux-image-${options.release}/${board.dtb?.file}`,
    zImageWithDtb: `${options.work}/zImage-dtb`,
  };
}

export interface KernelBlobOptions {
  board: Board;
  rootfs: string;
  work: string;
  /** Directory the blob is written to (the build's staging directory). */
  outDir: string;
  /** Final output directory, for the description. */
  finalDir: string;
  plannedRelease: string;
}

/** Makes kernel.uimg and enforces the flash budget with the real sizes. */
export function kernelBlobStep(options: KernelBlobOptions): Step {
  const { board } = options;
  const describe = (release: string, dir: string) => {
    const files = blobFiles(board, { ...options, release });
    const output = join(dir, 'kernel.uimg');
    const commands = board.dtb?.source === 'qemu-dumpdtb' ? [dumpDtbArgs(files.dtb)] : [];
    commands.push(mkimageArgs(board, { parts: uimageParts(board, files), output, name: `McDebian ${board.id}` }));
    return { files, output, commands };
  };
  const planned = describe(options.plannedRelease, options.finalDir);
  return {
    id: 'kernel-blob',
    title: 'Make the kernel blob (multi-file uImage)',
    commands: planned.commands.map((argv) => ({ argv })),
    writes: board.dtb?.placement === 'appended' ? [planned.files.zImageWithDtb, planned.output] : [planned.files.dtb, planned.output],
    notes: [board.dtb?.placement === 'appended'
      ? `${board.dtb.file} appended to the zImage (the stock U-Boot passes no device tree); its compatible is checked first`
      : 'the DTB is the third part (u-boot-qemu has no ATAGs)'],
    run: async (ctx) => {
      const release = ctx.state.kernelRelease;
      if (!release) throw new Error('kernel-blob: the assemble step found no kernel release');
      const actual = describe(release, options.outDir);
      if (board.dtb?.placement === 'appended') await appendDtb(ctx, board, actual.files);
      // mkimage stamps the header with SOURCE_DATE_EPOCH when it is set
      const env = ctx.state.sourceDateEpoch === undefined ? undefined : { SOURCE_DATE_EPOCH: String(ctx.state.sourceDateEpoch) };
      for (const argv of actual.commands) await ctx.exec(argv, { env, debianPackage: argv[0] === 'mkimage' ? 'u-boot-tools' : 'qemu-system-arm' });
      await enforceBudget(ctx, board, actual.files);
    },
  };
}

/** Checks the DTB is the board's (fdtget), then writes zImage + DTB, the image's first part. */
async function appendDtb(ctx: BuildContext, board: Board, files: BlobFiles): Promise<void> {
  const { stdout } = await ctx.exec(['fdtget', files.dtb, '/', 'compatible'], { debianPackage: 'device-tree-compiler' });
  if (!stdout.trim().split(/\s+/).includes(board.compatible ?? '')) {
    throw new VerificationError(`compatible of ${files.dtb}`, board.compatible ?? '(none)', stdout.trim());
  }
  await writeFile(files.zImageWithDtb, Buffer.concat([await readFile(files.zImage), await readFile(files.dtb)]));
}

async function enforceBudget(ctx: BuildContext, board: Board, files: BlobFiles): Promise<void> {
  const size = async (path: string) => (await stat(path)).size;
  const budget = computeBudget(board, [
    { name: 'zImage', bytes: await size(files.zImage), source: 'build' },
    { name: 'dtb', bytes: await size(files.dtb), source: 'build' },
    { name: 'initramfs', bytes: await size(files.initramfs), source: 'build' },
  ]);
  ctx.state.budget = budget;
  if (budget.status === 'exceeds-partition') throw new UserError(budget.message, { hint: 'trim the initramfs (fewer rootModules) or the kernel' });
  if (budget.status === 'exceeds-read-window') ctx.logger.warn(budget.message);
}
