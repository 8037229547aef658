/**
 * rootfs.tar: the assembled root filesystem as a reproducible tarball, made by GNU tar with
 * sorted entries, every mtime set to SOURCE_DATE_EPOCH, numeric owners and file capabilities.
 * Reads <work>/rootfs; writes rootfs.tar.
 */
import { join } from 'node:path';
import type { Step } from './core/step.js';

export function rootfsTarArgs(options: { rootfs: string; output: string; sourceDateEpoch: number | string }): string[] {
  return [
    'tar', '--create',
    '--file', options.output,
    '--directory', options.rootfs,
    '--sort=name',
    '--numeric-owner',
    `--mtime=@${options.sourceDateEpoch}`,
    '--format=posix',
    // atime and ctime would make every run differ
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--xattrs', '--xattrs-include=security.capability',
    '.',
  ];
}

export function rootfsTarStep(options: { rootfs: string; outDir: string; finalDir: string }): Step {
  return {
    id: 'rootfs-tar',
    title: 'Write rootfs.tar',
    commands: [{ argv: rootfsTarArgs({ rootfs: options.rootfs, output: join(options.finalDir, 'rootfs.tar'), sourceDateEpoch: '$SOURCE_DATE_EPOCH' }) }],
    writes: [join(options.finalDir, 'rootfs.tar')],
    notes: ['entries sorted by path, mtimes set to SOURCE_DATE_EPOCH, numeric owners'],
    run: async (ctx) => {
      await ctx.exec(rootfsTarArgs({ rootfs: options.rootfs, output: join(options.outDir, 'rootfs.tar'), sourceDateEpoch: ctx.state.sourceDateEpoch ?? 0 }));
    },
  };
}
