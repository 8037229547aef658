/**
 * What the plan knows about the kernel blob before building it: the zImage and DTB sizes read
 * from the real Debian kernel package on the mirror (when reachable and not --offline), in the
 * version apt will install from the suites the build uses; and the initramfs, measured when the
 * stage cache holds one for the plan's inputs, else bounded from above by what it will hold.
 * The x86 board has no blob, but the lookup still names the kernel release the image will carry.
 * Reads board.kernel, board.dtb.
 */
import type { Board } from '../board/board.js';
import { fetchKernelPackageInfo, type ArchiveSuite, type KernelPackageInfo } from '../rootfs/debian-archive.js';
import type { ModuleClosure } from '../rootfs/kernel-modules.js';
import type { BlobPart } from './budget.js';
import { UserError } from './core/errors.js';

/**
 * The compressed part of a trixie armhf initramfs: busybox or klibc, udev with
 * libsystemd-shared, kmod, libcrypto and the other libraries, blkid, initramfs-tools' scripts,
 * the modules.* files. Measured on a qemu-armhf build of the base package set (linux
 * 6.12.118-1, initramfs-tools 0.148.4, udev 257.9, zstd -19): 5,384,750 of its 6,123,054 bytes;
 * the rest was the modules' cpio. The allowance adds a tenth for the stable updates of those
 * packages between that measurement and a build; packages with their own initramfs hooks
 * (cryptsetup, lvm2, ...) are not in it.
 */
export const INITRAMFS_MEASURED_REST = 5_384_750;
export const INITRAMFS_ALLOWANCE_BYTES = Math.ceil((INITRAMFS_MEASURED_REST * 11) / 10);

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/** A newc cpio entry: a 110-byte header, the name and its NUL padded to 4, the data padded to 4 (cpio(5)). */
const newcEntry = (name: string, bytes: number): number => align(110 + Buffer.byteLength(name) + 1, 4) + align(bytes, 4);

/**
 * The uncompressed cpio mkinitramfs writes the xz/zst-compressed modules to, ahead of the
 * compressed part (initramfs-tools 0.148, mkinitramfs: `find . -name '*.zst' -o -name '*.xz'`):
 * `.`, every directory on the way to a module, the modules, the trailer, padded to GNU cpio's
 * 512-byte blocks. A module not compressed that way goes into the compressed part instead;
 * zstd's worst case adds 1/256 (ZSTD_COMPRESSBOUND, zstd.h), so it is counted with that.
 */
export function modulesCpioBytes(closure: ModuleClosure): number {
  const names = closure.modules.map((module) => module.path.replace(/^\//, ''));
  const directories = new Set(['.', ...names.flatMap((name) => name.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/')))]);
  const entries = [...directories].reduce((sum, name) => sum + newcEntry(name, 0), 0) +
    closure.modules.reduce((sum, module, i) => sum + newcEntry(names[i]!, /\.(xz|zst)$/.test(module.path) ? module.bytes : Math.ceil(module.bytes * (1 + 1 / 256))), 0);
  return align(entries + newcEntry('TRAILER!!!', 0), 512);
}

/** An upper bound of the initramfs: the modules' cpio, exactly, and the allowance for the compressed rest. */
export function initramfsUpperBound(closure: ModuleClosure): number {
  return modulesCpioBytes(closure) + INITRAMFS_ALLOWANCE_BYTES;
}

/**
 * The virt DTB QEMU dumps is its whole device-tree buffer: create_device_tree() allocates
 * FDT_MAX_SIZE (1 MiB, QEMU system/device_tree.c) and dumpdtb writes fdt_totalsize() of it.
 */
const QEMU_DTB_BYTES = 1024 * 1024;

export interface KernelFacts {
  /** How the sizes were found. */
  lookup: 'archive' | 'offline' | 'failed';
  /** Why the lookup failed or was skipped. */
  reason?: string;
  /** The versioned kernel package, e.g. linux-image-6.12.107+deb13-armmp. */
  package?: string;
  version?: string;
  /** The suite that version comes from (`trixie-security`). */
  suite?: string;
  /** `uname -r` of that kernel, from its /boot/vmlinuz-<release> path. */
  release?: string;
  /** The modules the initramfs will hold, when they were read to bound it. */
  initramfsModules?: ModuleClosure;
  /** The blob's parts as far as known. */
  parts: BlobPart[];
}

export interface KernelFactsOptions {
  /** The suites the build installs from (buildSuites()). */
  suites: readonly ArchiveSuite[];
  offline: boolean;
  /** The initramfs the stage cache holds for the plan's inputs, when it holds one. */
  measuredInitramfs?: { bytes: number; path: string };
  /**
   * What /etc/initramfs-tools/modules lists, to bound an initramfs no build has measured; left
   * out for a board without a read window, where no bound is needed.
   */
  initramfsModules?: readonly string[];
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** Looks up the sizes that decide the flash budget. Never throws for an unreachable mirror. */
export async function lookupKernelFacts(board: Board, options: KernelFactsOptions): Promise<KernelFacts> {
  const measured: BlobPart | undefined = options.measuredInitramfs && {
    name: 'initramfs', bytes: options.measuredInitramfs.bytes, source: 'measured', note: `${options.measuredInitramfs.path}, made by an earlier build of these inputs`,
  };
  const dtbFromPackage = board.dtb?.source === 'debian-kernel' ? board.dtb.file : undefined;
  if (options.offline) {
    return { lookup: 'offline', reason: '--offline', parts: unknownParts(board, '--offline', measured) };
  }
  try {
    const info = await fetchKernelPackageInfo({
      suites: options.suites,
      arch: board.arch,
      metaPackage: board.kernel.package,
      dtbFiles: dtbFromPackage ? [dtbFromPackage] : [],
      initramfsModules: measured ? undefined : options.initramfsModules,
      fetchImpl: options.fetchImpl,
      timeoutMs: options.timeoutMs,
    });
    const zImage: BlobPart = { name: 'zImage', bytes: info.zImage.size, source: 'debian-package', note: `${info.zImage.path} in ${info.package} ${info.version} (${info.suite.suite})` };
    return {
      lookup: 'archive',
      package: info.package,
      version: info.version,
      suite: info.suite.suite,
      release: info.zImage.path.replace(/^.*\/vmlinuz-/, ''),
      ...(info.initramfsModules ? { initramfsModules: info.initramfsModules } : {}),
      parts: [zImage, dtbPart(board, info), measured ?? boundedInitramfs(info)],
    };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { lookup: 'failed', reason: error.message, parts: unknownParts(board, `mirror lookup failed: ${error.message}`, measured) };
  }
}

function dtbPart(board: Board, info?: KernelPackageInfo): BlobPart {
  if (board.dtb?.source === 'qemu-dumpdtb') {
    return { name: 'dtb', bytes: QEMU_DTB_BYTES, source: 'upper-bound', note: 'dumped by QEMU at build time: its 1 MiB device-tree buffer' };
  }
  const file = board.dtb?.file;
  const dtb = file && info ? info.dtbs[file] : undefined;
  if (dtb) return { name: 'dtb', bytes: dtb.size, source: 'debian-package', note: dtb.path };
  return { name: 'dtb', source: 'unknown', note: file && info ? `${file} is not in ${info.package}` : 'no DTB' };
}

function boundedInitramfs(info: KernelPackageInfo): BlobPart {
  const closure = info.initramfsModules;
  if (!closure) return { name: 'initramfs', source: 'unknown', note: 'not bounded: the board has no read window' };
  const packed = closure.modules.reduce((sum, module) => sum + module.bytes, 0);
  const missing = closure.missing.length > 0 ? `; not in the package: ${closure.missing.join(', ')}` : '';
  return {
    name: 'initramfs',
    bytes: initramfsUpperBound(closure),
    source: 'upper-bound',
    note: `upper bound: ${closure.modules.length} modules (${packed.toLocaleString('en-US')} B packaged) + ${INITRAMFS_ALLOWANCE_BYTES.toLocaleString('en-US')} B for busybox, klibc, udev and libraries${missing}; measured by the first build`,
  };
}

function unknownParts(board: Board, reason: string, measured: BlobPart | undefined): BlobPart[] {
  const dtb = board.dtb?.source === 'qemu-dumpdtb' ? dtbPart(board) : { name: 'dtb' as const, source: 'unknown' as const, note: reason };
  return [{ name: 'zImage', source: 'unknown', note: reason }, dtb, measured ?? { name: 'initramfs', source: 'unknown', note: reason }];
}
