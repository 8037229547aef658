import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { makeFakeDevice, mountinfoLine, type FakeDeviceOptions } from '../../helpers/fake-device.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A fake stick, an image, and the environment that points the command at the fake sysfs/procfs. */
async function setup(t: ExecutionContext, options: Partial<FakeDeviceOptions> = {}) {
  const dir = await makeTempDir(t);
  const image = join(dir, 'usb.img');
  const data = randomBytes(3 * MiB);
  await writeFile(image, data);
  const fake = await makeFakeDevice(dir, { size: 8 * MiB, ...options });
  return { dir, image, data, device: fake.device, env: { MCDEBIAN_SYS_ROOT: fake.sysRoot, MCDEBIAN_PROC_ROOT: fake.procRoot } };
}

test('flash usb --image --force --json writes and verifies a file-backed device and prints the result', async (t) => {
  const { image, data, device, env } = await setup(t);
  const result = await runCli(['flash', 'usb', '--device', device, '--image', image, '--force', '--json'], { env });
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual({ ...JSON.parse(result.stdout), seconds: 0 }, { device, image, bytes: data.length, sha256: sha256(data), verified: true, cacheFlushed: true, seconds: 0 });
  t.true((await readFile(device)).subarray(0, data.length).equals(data));
  t.regex(result.stderr, /--force: .* is a regular file/);
  t.regex(result.stderr, /^verify +3\.0 MiB \/ 3\.0 MiB 100%/m, 'progress lines on stderr, the last of each phase at 100%');
});

test('flash usb writes the built usb.img and checks it against the manifest', async (t) => {
  const { dir, image, data, device, env } = await setup(t);
  const out = join(dir, 'out/qemu-armhf');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'usb.img'), await readFile(image));
  await writeFile(join(out, 'manifest.json'), JSON.stringify({ artifacts: [{ name: 'usb.img', size: data.length, sha256: sha256(data) }] }));
  const ok = await runCli(['flash', 'usb', '--board', 'qemu-armhf', '--device', device, '--force'], { cwd: dir, env });
  t.is(ok.exitCode, 0, ok.stderr);
  t.regex(ok.stdout, new RegExp(`${data.length} bytes written and verified .*sha256 ${sha256(data)}`));
  await writeFile(join(out, 'manifest.json'), JSON.stringify({ artifacts: [{ name: 'usb.img', size: data.length, sha256: '0'.repeat(64) }] }));
  const bad = await runCli(['flash', 'usb', '--board', 'qemu-armhf', '--device', device, '--force'], { cwd: dir, env });
  t.is(bad.exitCode, 1);
  t.regex(bad.stderr, /error: sha256 of .*usb\.img against manifest\.json: expected 0{64}, got [0-9a-f]{64}\nhint: the image changed after the build/);
});

const refused = test.macro(async (t, args: string[], options: Partial<FakeDeviceOptions>, message: RegExp) => {
  const { image, device, env } = await setup(t, options);
  const before = await readFile(device);
  const result = await runCli(['flash', 'usb', '--device', device, '--image', image, ...args], { env });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, message);
  t.true((await readFile(device)).equals(before), 'nothing written');
});
test('a regular file without --force is refused with exit code 1', refused, [], {}, /error: refusing to write to \S+sdz: it is a regular file, not a block device\nhint: .*add --force/);
test('a device smaller than the image is refused with exit code 1', refused, ['--force'], { size: MiB }, /holds 1048576 bytes but the image is 3145728 bytes/);
test('a mounted device is refused with exit code 1 even with --force', refused, ['--force'], { partitions: ['1'], mountinfo: [mountinfoLine({ source: '/dev/sdz1', point: '/media/usb', dev: '8:17' })] }, /mounted on \/media\/usb; --force does not override this\nhint: unmount it first: umount \/media\/usb/);

const usage = test.macro(async (t, args: string[], message: RegExp) => {
  const result = await runCli(['flash', ...args]);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, message);
});
test('flash with an unknown transport is a usage error', usage, ['scp', '--device', '/dev/null'], /error: flash: expected the transport: usb, sftp or tftp, not "scp"/);
test('flash usb without --device is a usage error', usage, ['usb', '--image', 'usb.img'], /error: flash usb needs --device DEV/);
test('flash usb without an image, board or config is a usage error', usage, ['usb', '--device', '/dev/null'], /error: flash usb needs --board ID, -c FILE or --image PATH/);
test('flash without a transport is a usage error', usage, [], /error: flash: expected the transport: usb, sftp or tftp\n/);
test('a flag of another transport is a usage error naming the flag and its transport', usage, ['usb', '--device', 'X', '--serial', 'Y'], /error: flash usb: --serial is not a flag of flash usb; it belongs to flash tftp/);
test('a flag no transport takes is a usage error with the transport\'s usage', usage, ['sftp', '--host', 'h', '--bogus'], /error: flash sftp: unknown flag --bogus[\s\S]*hint: usage: mcdebian flash sftp --host H/);

test('flash usb --board without a build names -c FILE, --image PATH and the config nearby whose build has usb.img', async (t) => {
  const { dir, image, device, env } = await setup(t);
  await mkdir(join(dir, 'site/out/qemu-armhf'), { recursive: true });
  await writeFile(join(dir, 'site/router.yaml'), 'board: qemu-armhf\n');
  await writeFile(join(dir, 'site/out/qemu-armhf/usb.img'), await readFile(image));
  const result = await runCli(['flash', 'usb', '--board', 'qemu-armhf', '--device', device, '--force'], { cwd: dir, env });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /error: no usb\.img in \S+\/out\/qemu-armhf\nhint: the build of site\/router\.yaml is at site\/out\/qemu-armhf\/usb\.img: add -c site\/router\.yaml; a build lands beside its config: name the config with -c FILE, or --image PATH/);
});
