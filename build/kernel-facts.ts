/**
 * What the plan knows about the kernel blob before building it: the zImage and DTB sizes read
 * from the real Debian kernel package on the mirror (when reachable and not --offline), and the
 * initramfs, which exists only after a build, as a labelled estimate. The x86 board has no
 * blob, but the lookup still names the kernel release the image will carry. Reads board.kernel, board.dtb.
 */
import type { Board } from '../board/board.js';
import { fetchKernelPackageInfo } from '../rootfs/debian-archive.js';
import type { BlobPart } from './budget.js';
import { UserError } from './core/errors.js';

/**
 * Estimate of a trixie armmp initramfs built with MODULES=list and the board's root modules,
 * zstd-compressed: busybox, klibc, udev with libsystemd-shared and a dozen modules. Used only
 * until a build of the board has measured the real one; the budget marks it as an estimate.
 */
export const INITRAMFS_ESTIMATE_BYTES = 4 * 1024 * 1024;

export interface KernelFacts {
  /** How the sizes were found. */
  lookup: 'archive' | 'offline' | 'failed';
  /** Why the lookup failed or was skipped. */
  reason?: string;
  /** The versioned kernel package, e.g. linux-image-6.12.107+deb13-armmp. */
  package?: string;
  version?: string;
  /** `uname -r` of that kernel, from its /boot/vmlinuz-<release> path. */
  release?: string;
  /** The blob's parts as far as known. */
  parts: BlobPart[];
}

export interface KernelFactsOptions {
  mirror: string;
  suite: string;
  offline: boolean;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** Looks up the sizes that decide the flash budget. Never throws for an unreachable mirror. */
export async function lookupKernelFacts(board: Board, options: KernelFactsOptions): Promise<KernelFacts> {
  const initramfs: BlobPart = { name: 'initramfs', bytes: INITRAMFS_ESTIMATE_BYTES, source: 'estimate', note: 'estimated; measured by the first build' };
  const dtbFromPackage = board.dtb?.source === 'debian-kernel' ? board.dtb.file : undefined;
  if (options.offline) {
    return { lookup: 'offline', reason: '--offline', parts: unknownParts('--offline', initramfs) };
  }
  try {
    const info = await fetchKernelPackageInfo({
      mirror: options.mirror,
      suite: options.suite,
      arch: board.arch,
      metaPackage: board.kernel.package,
      dtbFiles: dtbFromPackage ? [dtbFromPackage] : [],
      fetchImpl: options.fetchImpl,
      timeoutMs: options.timeoutMs,
    });
    const dtb = dtbFromPackage ? info.dtbs[dtbFromPackage] : undefined;
    const dtbPart: BlobPart = dtb
      ? { name: 'dtb', bytes: dtb.size, source: 'debian-package', note: dtb.path }
      : { name: 'dtb', source: 'unknown', note: dtbFromPackage ? `${dtbFromPackage} is not in ${info.package}` : 'written by QEMU at build time' };
    return {
      lookup: 'archive',
      package: info.package,
      version: info.version,
      release: info.zImage.path.replace(/^.*\/vmlinuz-/, ''),
      parts: [{ name: 'zImage', bytes: info.zImage.size, source: 'debian-package', note: `${info.zImage.path} in ${info.package} ${info.version}` }, dtbPart, initramfs],
    };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { lookup: 'failed', reason: error.message, parts: unknownParts(`mirror lookup failed: ${error.message}`, initramfs) };
  }
}

function unknownParts(reason: string, initramfs: BlobPart): BlobPart[] {
  return [{ name: 'zImage', source: 'unknown', note: reason }, { name: 'dtb', source: 'unknown', note: reason }, initramfs];
}
