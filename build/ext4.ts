/**
 * The root filesystem as ext4, made from a directory by mke2fs -d: no loop device, no mount.
 * Fixed UUID, label and directory hash seed so that the same inputs give the same image.
 * Writes rootfs.ext4.
 */
import type { Step } from './core/step.js';

export interface Ext4Spec {
  /** Directory whose contents become the filesystem. */
  source: string;
  output: string;
  sizeBytes: number;
  label: string;
  uuid: string;
  hashSeed: string;
  /**
   * Leave out the 64bit feature: U-Boot's ext4load needs that (board/README.md, "The router boot
   * chain"; VC test/readme.md), which keeps the second boot method (kernel loaded from the stick)
   * open on the routers.
   */
  ubootReadable: boolean;
  /** Byte offset in `output` to make the filesystem at: a partition of a disk image, without dd. */
  offset?: number;
}

/** The label the initramfs looks for when it overrules the stock `root=`. */
export const ROOT_LABEL = 'mcdebian-root';

export function mke2fsArgs(spec: Ext4Spec): string[] {
  return [
    'mke2fs',
    '-t', 'ext4',
    '-F',
    '-q',
    '-L', spec.label,
    '-U', spec.uuid,
    '-E', `hash_seed=${spec.hashSeed},root_owner=0:0${spec.offset ? `,offset=${spec.offset}` : ''}`,
    ...(spec.ubootReadable ? ['-O', '^64bit'] : []),
    '-d', spec.source,
    spec.output,
    `${Math.floor(spec.sizeBytes / 1024)}k`,
  ];
}

/** mke2fs stamps the superblock with this time instead of now, so the image is reproducible. */
export function ext4Env(sourceDateEpoch: number | undefined): Record<string, string> {
  return sourceDateEpoch === undefined ? {} : { E2FSPROGS_FAKE_TIME: String(sourceDateEpoch) };
}

export function ext4Step(spec: Ext4Spec, options: { finalOutput: string }): Step {
  return {
    id: 'rootfs-ext4',
    title: 'Make rootfs.ext4',
    commands: [{ argv: mke2fsArgs({ ...spec, output: options.finalOutput }) }],
    writes: [options.finalOutput],
    notes: [`label ${spec.label}, UUID ${spec.uuid}; no loop device, no mount`],
    run: async (ctx) => {
      await ctx.exec(mke2fsArgs(spec), { env: ext4Env(ctx.state.sourceDateEpoch), debianPackage: 'e2fsprogs' });
    },
  };
}
