import test from 'ava';
import { getBoard } from '../../board/index.js';
import { computeBudget } from '../../build/budget.js';
import { INITRAMFS_ALLOWANCE_BYTES, initramfsUpperBound, lookupKernelFacts, modulesCpioBytes } from '../../build/kernel-facts.js';
import type { ModuleClosure } from '../../rootfs/kernel-modules.js';

/**
 * The modules of a real qemu-armhf initramfs (linux 6.12.118-1, initramfs-tools 0.148.4), as its
 * uncompressed cpio listed them; that cpio was 738,080 bytes, then padded to 738,304.
 */
const QEMU_ARMHF_MODULES: [string, number][] = [
  ['kernel/arch/arm/crypto/crc32-arm-ce.ko.xz', 3_016],
  ['kernel/crypto/crc32c_generic.ko.xz', 1_972],
  ['kernel/drivers/block/virtio_blk.ko.xz', 11_696],
  ['kernel/drivers/scsi/scsi_common.ko.xz', 3_196],
  ['kernel/drivers/scsi/scsi_mod.ko.xz', 85_180],
  ['kernel/drivers/scsi/sd_mod.ko.xz', 28_104],
  ['kernel/drivers/usb/core/usbcore.ko.xz', 110_076],
  ['kernel/drivers/usb/host/xhci-hcd.ko.xz', 94_124],
  ['kernel/drivers/usb/host/xhci-pci.ko.xz', 7_452],
  ['kernel/drivers/usb/storage/uas.ko.xz', 10_024],
  ['kernel/drivers/usb/storage/usb-storage.ko.xz', 28_252],
  ['kernel/drivers/virtio/virtio_mmio.ko.xz', 4_944],
  ['kernel/fs/ext4/ext4.ko.xz', 288_524],
  ['kernel/fs/jbd2/jbd2.ko.xz', 48_032],
  ['kernel/fs/mbcache.ko.xz', 5_084],
  ['kernel/lib/crc16.ko.xz', 1_892],
];

const closureOf = (modules: [string, number][]): ModuleClosure => ({
  modules: modules.map(([path, bytes]) => ({ name: path, path: `/usr/lib/modules/6.12.118+deb13-armmp/${path}`, bytes })),
  builtin: [],
  missing: [],
});

test('the modules\' cpio of the real qemu-armhf initramfs is computed to the byte, with its padding', (t) => {
  t.is(modulesCpioBytes(closureOf(QEMU_ARMHF_MODULES)), 738_304);
});

test('the upper bound holds the real qemu-armhf initramfs of 6,123,054 bytes, and its blob\'s read size', (t) => {
  const bound = initramfsUpperBound(closureOf(QEMU_ARMHF_MODULES));
  t.true(bound >= 6_123_054, `bound ${bound}`);
  t.log(`bound ${bound} bytes, ${bound - 6_123_054} above the real initramfs`);
  // the real blob: zImage 6,074,880, initramfs 6,123,054 and the 1 MiB DTB needed 0xcc0000
  const parts = (initramfs: number) => [
    { name: 'zImage' as const, bytes: 6_074_880, source: 'debian-package' as const },
    { name: 'dtb' as const, bytes: 1_048_576, source: 'build' as const },
    { name: 'initramfs' as const, bytes: initramfs, source: 'upper-bound' as const },
  ];
  t.is(computeBudget(getBoard('qemu-armhf'), parts(6_123_054)).requiredReadSize, 0xcc_0000);
  t.true(computeBudget(getBoard('qemu-armhf'), parts(bound)).requiredReadSize! >= 0xcc_0000);
});

test('a module that is not xz- or zstd-compressed goes into the compressed part and is counted with zstd\'s worst case', (t) => {
  const packed = modulesCpioBytes(closureOf([['kernel/fs/ext4/ext4.ko.xz', 2_560_000]]));
  const plain = modulesCpioBytes(closureOf([['kernel/fs/ext4/ext4.ko', 2_560_000]]));
  t.true(plain - packed >= 10_000 - 512, `${plain} against ${packed}`);
});

test('no modules leave the allowance and an empty cpio', (t) => {
  t.is(initramfsUpperBound(closureOf([])), INITRAMFS_ALLOWANCE_BYTES + 512);
});

test('offline, a measured initramfs is still used, the other parts are unknown, and qemu-armhf\'s DTB is its 1 MiB buffer', async (t) => {
  const facts = await lookupKernelFacts(getBoard('qemu-armhf'), { suites: [], offline: true, measuredInitramfs: { bytes: 6_123_054, path: '/cache/initramfs/k.img' } });
  t.deepEqual(facts.parts, [
    { name: 'zImage', source: 'unknown', note: '--offline' },
    { name: 'dtb', bytes: 1_048_576, source: 'upper-bound', note: 'dumped by QEMU at build time: its 1 MiB device-tree buffer' },
    { name: 'initramfs', bytes: 6_123_054, source: 'measured', note: '/cache/initramfs/k.img, made by an earlier build of these inputs' },
  ]);
});

test('an unreachable mirror is a failed lookup, not an error', async (t) => {
  const facts = await lookupKernelFacts(getBoard('wrt1200ac'), { suites: [{ mirror: 'http://127.0.0.1:9/debian', suite: 'trixie' }], offline: false, initramfsModules: ['ext4'], timeoutMs: 30_000 });
  t.is(facts.lookup, 'failed');
  t.deepEqual(facts.parts.map((part) => [part.name, part.source]), [['zImage', 'unknown'], ['dtb', 'unknown'], ['initramfs', 'unknown']]);
});
