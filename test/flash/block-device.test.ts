import test, { type ExecutionContext } from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../build/core/errors.js';
import { assertWritableDevice, findDeviceProblems, gatherDeviceFacts, type DeviceFacts } from '../../flash/block-device.js';
import { makeFakeDevice, mountinfoLine, type FakeDeviceOptions } from '../helpers/fake-device.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const MiB = 1024 * 1024;

async function fake(t: ExecutionContext, options: Partial<FakeDeviceOptions> = {}) {
  const dir = await makeTempDir(t);
  return { dir, ...await makeFakeDevice(dir, { size: 8 * MiB, ...options }) };
}

test('gatherDeviceFacts reads a fake stick from the fake sysfs and procfs', async (t) => {
  const { device, sysRoot, procRoot } = await fake(t, { partitions: ['1', '2'] });
  t.deepEqual(await gatherDeviceFacts(device, { sysRoot, procRoot }), {
    path: device, kind: 'file', name: 'sdz', removable: true, size: 8 * MiB, partitions: ['sdz1', 'sdz2'], mountPoints: [], holders: [],
  });
});

const removable = test.macro(async (t, options: Partial<FakeDeviceOptions>, expected: boolean) => {
  const { device, sysRoot, procRoot } = await fake(t, options);
  t.is((await gatherDeviceFacts(device, { sysRoot, procRoot })).removable, expected);
});
test('a disk whose sysfs says removable 1 is removable', removable, { removable: 1 }, true);
test('a USB disk is removable even when sysfs says removable 0', removable, { removable: 0, usb: true }, true);
test('a SATA disk with removable 0 is not removable', removable, { removable: 0, usb: false }, false);

const mounted = test.macro(async (t, mount: (device: string) => { source: string; point: string; dev: string }, expected: string[]) => {
  const dir = await makeTempDir(t);
  const device = join(dir, 'dev/sdz');
  const { sysRoot, procRoot } = await makeFakeDevice(dir, { size: 8 * MiB, partitions: ['1', '2'], mountinfo: [mountinfoLine(mount(device))] });
  t.deepEqual((await gatherDeviceFacts(device, { sysRoot, procRoot })).mountPoints, expected);
});
test('a mounted disk is found by its path in mountinfo', mounted, (device) => ({ source: device, point: '/mnt', dev: '0:99' }), ['/mnt']);
test('a mounted partition is found by its path in mountinfo', mounted, (device) => ({ source: `${device}2`, point: '/media/my stick', dev: '0:99' }), ['/media/my stick']);
test('a mounted partition is found by its device number when the source names another path', mounted, () => ({ source: '/dev/root', point: '/boot', dev: '8:17' }), ['/boot']);
test('an unrelated mount is not the device\'s', mounted, () => ({ source: '/dev/sdy1', point: '/srv', dev: '8:33' }), []);

test('without mountinfo, /proc/mounts is read', async (t) => {
  const { dir, device, sysRoot } = await fake(t, { partitions: ['1'] });
  await mkdir(join(dir, 'proc2'));
  await writeFile(join(dir, 'proc2/mounts'), `/dev/nvme0n1p2 / ext4 rw 0 0\n${device}1 /media/usb vfat rw 0 0\n`);
  t.deepEqual((await gatherDeviceFacts(device, { sysRoot, procRoot: join(dir, 'proc2') })).mountPoints, ['/media/usb']);
});

test('holders of the disk or a partition are listed', async (t) => {
  const { device, sysRoot, procRoot } = await fake(t, { holders: ['dm-0'] });
  t.deepEqual((await gatherDeviceFacts(device, { sysRoot, procRoot })).holders, ['dm-0']);
});

const stick: DeviceFacts = { path: '/dev/sdz', kind: 'block', name: 'sdz', removable: true, size: 8 * MiB, partitions: ['sdz1'], mountPoints: [], holders: [] };

const problems = test.macro(async (t, change: Partial<DeviceFacts>, expected: { reason: RegExp; overridable: boolean } | undefined) => {
  const found = findDeviceProblems({ ...stick, ...change }, { imageSize: 4 * MiB });
  if (expected === undefined) return t.deepEqual(found, []);
  t.is(found.length, 1);
  t.regex(found[0]!.reason, expected.reason);
  t.is(found[0]!.overridable, expected.overridable);
});
test('a removable, unmounted, big enough block device has no problem', problems, {}, undefined);
test('a non-removable disk is a problem --force waives', problems, { removable: false }, { reason: /not removable/, overridable: true });
test('a regular file is a problem --force waives', problems, { kind: 'file' }, { reason: /regular file, not a block device/, overridable: true });
test('a character device or directory is refused even with --force', problems, { kind: 'other' }, { reason: /neither a block device nor a regular file/, overridable: false });
test('a mounted device is refused even with --force', problems, { mountPoints: ['/media/usb'] }, { reason: /mounted on \/media\/usb; --force does not override/, overridable: false });
test('a held device is refused even with --force', problems, { holders: ['dm-0'] }, { reason: /in use by dm-0/, overridable: false });
test('a device smaller than the image is refused', problems, { size: 2 * MiB }, { reason: /holds 2097152 bytes but the image is 4194304 bytes/, overridable: false });

test('a regular file is refused without --force, naming the device and the fix', async (t) => {
  const { device, sysRoot, procRoot } = await fake(t);
  const error = await t.throwsAsync(assertWritableDevice(device, { sysRoot, procRoot, imageSize: MiB }), { instanceOf: UserError });
  t.is(error?.message, `refusing to write to ${device}: it is a regular file, not a block device`);
  t.regex(error?.hint ?? '', /add --force/);
});

test('a regular file is accepted with --force', async (t) => {
  const { device, sysRoot, procRoot } = await fake(t);
  t.is((await assertWritableDevice(device, { sysRoot, procRoot, imageSize: MiB, force: true })).kind, 'file');
});

test('a mounted partition is refused even with --force, with the umount to run', async (t) => {
  const dir = await makeTempDir(t);
  const device = join(dir, 'dev/sdz');
  const { sysRoot, procRoot } = await makeFakeDevice(dir, { size: 8 * MiB, partitions: ['1'], mountinfo: [mountinfoLine({ source: `${device}1`, point: '/media/usb', dev: '8:17' })] });
  const error = await t.throwsAsync(assertWritableDevice(device, { sysRoot, procRoot, imageSize: MiB, force: true }), { instanceOf: UserError });
  t.regex(error?.message ?? '', /mounted on \/media\/usb; --force does not override this/);
  t.regex(error?.hint ?? '', /umount \/media\/usb/);
});

test('a device smaller than the image is refused even with --force', async (t) => {
  const { device, sysRoot, procRoot } = await fake(t, { size: MiB });
  const error = await t.throwsAsync(assertWritableDevice(device, { sysRoot, procRoot, imageSize: 2 * MiB, force: true }), { instanceOf: UserError });
  t.regex(error?.message ?? '', /holds 1048576 bytes but the image is 2097152 bytes/);
  t.regex(error?.hint ?? '', /truncate -s 2097152/);
});

test('a device that does not exist is a UserError naming it', async (t) => {
  const dir = await makeTempDir(t);
  await t.throwsAsync(assertWritableDevice(join(dir, 'sdq'), { sysRoot: dir, procRoot: dir, imageSize: 1 }), { instanceOf: UserError, message: /cannot open the device .*sdq: ENOENT/ });
});

test('a directory is refused even with --force', async (t) => {
  const dir = await makeTempDir(t);
  await t.throwsAsync(assertWritableDevice(dir, { sysRoot: dir, procRoot: dir, imageSize: 0, force: true }), { message: /neither a block device nor a regular file/ });
});
