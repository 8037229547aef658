import test from 'ava';
import { getBoard } from '../../board/index.js';
import { computeBudget, multiImageSize, type BlobPart } from '../../build/budget.js';

const parts = (zImage: number, dtb: number, initramfs: number, bounded = false): BlobPart[] => [
  { name: 'zImage', bytes: zImage, source: 'debian-package' },
  { name: 'dtb', bytes: dtb, source: 'debian-package' },
  { name: 'initramfs', bytes: initramfs, source: bounded ? 'upper-bound' : 'build' },
];

test('a multi-file uImage is header, size table, parts padded to 4 bytes but the last', (t) => {
  t.is(multiImageSize([6_065_276]), 64 + 8 + 6_065_276);
  t.is(multiImageSize([6_065_277, 3]), 64 + 12 + 6_065_280 + 3);
  t.is(multiImageSize([1, 1, 1]), 64 + 16 + 4 + 4 + 1);
});

test('on mamba the blob exceeds the 4 MiB window and pri_kern_size/alt_kern_size are named', (t) => {
  const budget = computeBudget(getBoard('wrt1900ac-v1'), parts(6_046_208 + 19_004, 0, 4 * 1024 * 1024, true).filter((p) => p.name !== 'dtb'));
  t.is(budget.status, 'exceeds-read-window');
  t.deepEqual(budget.readWindow?.variables, ['pri_kern_size', 'alt_kern_size']);
  t.regex(budget.message, /does not fit the 4 MiB read window: pri_kern_size and alt_kern_size must be raised to at least 0x[0-9a-f]+/);
  t.regex(budget.message, /^the kernel blob \(at most /);
  t.true(budget.upperBound);
});

test('on caiman the blob with its initramfs exceeds the 6 MiB window and priKernSize is named', (t) => {
  const budget = computeBudget(getBoard('wrt1200ac'), parts(6_046_208, 20_071, 3_000_000));
  t.is(budget.status, 'exceeds-read-window');
  t.regex(budget.message, /6 MiB read window: priKernSize and altKernSize must be raised/);
  const blob = multiImageSize([6_046_208 + 20_071, 3_000_000]);
  t.is(budget.blobBytes, blob);
  t.is(budget.requiredReadSize, Math.ceil(blob / 0x2_0000) * 0x2_0000);
  t.is(budget.recommendedReadSize, Math.ceil(blob / 0x10_0000) * 0x10_0000);
});

test('the zImage and DTB alone fit caiman\'s window with 225,113 bytes spare', (t) => {
  // board/README.md, "Read windows": zImage + DTB + 64 B header = 6,066,343 bytes; a single-part
  // multi image adds 8 bytes of size table
  const budget = computeBudget(getBoard('wrt1200ac'), [{ name: 'zImage', bytes: 6_046_208 + 20_071, source: 'debian-package' }]);
  t.is(budget.status, 'fits');
  t.is(0x60_0000 - budget.blobBytes!, 225_113 - 8);
});

test('a blob larger than the kernel partition cannot be flashed', (t) => {
  const budget = computeBudget(getBoard('wrt1200ac'), parts(6_046_208, 20_071, 40 * 1024 * 1024));
  t.is(budget.status, 'exceeds-partition');
  t.regex(budget.message, /larger than the 40 MiB kernel1 partition/);
});

test('rango has an 80 MiB kernel partition', (t) => {
  const budget = computeBudget(getBoard('wrt3200acm'), parts(6_046_208, 20_296, 40 * 1024 * 1024));
  t.is(budget.status, 'exceeds-read-window');
  t.is(budget.partition?.bytes, 80 * 1024 * 1024);
});

test('an unknown part makes the budget unknown and says why', (t) => {
  const budget = computeBudget(getBoard('wrt1200ac'), [{ name: 'zImage', source: 'unknown', note: '--offline' }, ...parts(1, 1, 1).slice(1)]);
  t.is(budget.status, 'unknown');
  t.regex(budget.message, /zImage \(--offline\)/);
});

test('boards without a NAND read window have no budget', (t) => {
  t.is(computeBudget(getBoard('x86-64'), []).status, 'not-applicable');
});

test('the QEMU stand-in has caiman\'s 6 MiB window over its kernel1 stand-in partition', (t) => {
  const budget = computeBudget(getBoard('qemu-armhf'), parts(1, 1, 1));
  t.is(budget.status, 'fits');
  t.deepEqual(budget.partition, { name: 'kernel1', bytes: 0x280_0000 });
});

test('an unconfirmed stock window is said to be unconfirmed', (t) => {
  const budget = computeBudget(getBoard('wrt1900acs'), parts(6_046_208, 20_071, 3_000_000));
  t.regex(budget.message, /6 MiB read window \(stock value unconfirmed\)/);
});

test('a blob whose parts are all measured is not called an upper bound', (t) => {
  const budget = computeBudget(getBoard('wrt1200ac'), [...parts(6_046_208, 20_071, 0).slice(0, 2), { name: 'initramfs', bytes: 6_123_051, source: 'measured' }]);
  t.false(budget.upperBound);
  t.regex(budget.message, /^the kernel blob \(11\.\d\d MiB\)/);
});
