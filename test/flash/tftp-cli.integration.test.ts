import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBootCounter } from '../../flash/bootcount.js';
import { runCli } from '../helpers/cli.js';
import { startFakeUBoot, type FakeUBootOptions } from './helpers/fake-uboot.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { freeUdpPort } from './helpers/tftp-client.js';
import { testAsRootWithTools } from './helpers/tftp-flash.js';
import { legacyUImage } from '../helpers/uboot-qemu.js';
import { caimanStockVariables } from './stock-env.js';

const KERNEL2 = 0x320_0000;
const tools = { 'in.tftpd': 'tftpd-hpa' };

/**
 * A caiman with the stock environment (slot 1 booting, 6 MiB windows) behind a fake console, a
 * 6.5 MB image that needs a larger window, and the CLI's arguments for both.
 */
async function setup(t: ExecutionContext, options: Partial<FakeUBootOptions> = {}) {
  const dir = await makeTempDir(t);
  const port = await freeUdpPort();
  const fake = await startFakeUBoot(dir, { env: { ...caimanStockVariables }, nandBytes: 0x5a0_0000, tftpPort: port, ...options });
  t.teardown(() => fake.close());
  const image = legacyUImage('McDebian wrt1200ac test', randomBytes(6_500_000));
  await writeFile(join(dir, 'kernel.uimg'), image);
  const log = join(dir, 'flash-tftp.log');
  const args = ['flash', 'tftp', '--board', 'wrt1200ac', '--serial', `unix:${fake.socket}`, '--image', join(dir, 'kernel.uimg'), '--serverip', '127.0.0.1', '--listen', `127.0.0.1:${port}`, '--log', log];
  return { dir, fake, image, log, args };
}

testAsRootWithTools(tools, 'flash tftp writes kernel2 from the stock prompt, raises its window, resets the counter and saves only the switch', async (t) => {
  const { fake, image, log, args } = await setup(t);
  const result = await runCli([...args, '--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.like(JSON.parse(result.stdout), { board: 'wrt1200ac', bytes: image.length, slot: 2, previousSlot: 1, readSize: 0x70_0000, bootedImage: 'McDebian wrt1200ac test', transcript: log });

  t.true(fake.nand.subarray(KERNEL2, KERNEL2 + image.length).equals(image));
  t.true(fake.nand.subarray(KERNEL2 + image.length, KERNEL2 + 0x63_3000).every((byte) => byte === 0xff), 'the last page is padded with 0xff');
  t.deepEqual(parseBootCounter(fake.nand.subarray(0x24_0000, 0x28_0000), { recordStride: 2048 }).records, [{ offset: 0, count: 0, checksum: 0x2011_0811 }]);
  t.deepEqual(Object.fromEntries(fake.saved), { ...caimanStockVariables, boot_part: '2', bootcmd: 'run altnandboot', altKernSize: '0x700000', auto_recovery: 'yes' });

  const transcript = await readFile(log, 'latin1');
  t.regex(transcript, /Hit any key to stop autoboot[\s\S]*Marvell>> tftpboot \$\{defaultLoadAddr\} kernel\.uimg\r\n[\s\S]*Marvell>> saveenv[\s\S]*Verifying Checksum \.\.\. OK\r\nStarting kernel/);
  t.regex(result.stderr, /^load: 6500064 bytes in [\d.]+ s/m);
  t.regex(result.stderr, /^boot: U-Boot verified "McDebian wrt1200ac test" and started the kernel$/m);
});

testAsRootWithTools(tools, 'a failed nand write stops the flash before the environment changes, naming the command and the transcript', async (t) => {
  const { fake, log, args } = await setup(t, { failOn: { 'nand write ${defaultLoadAddr} 0x3200000': '\r\nNAND write: device 0 offset 0x3200000, size 0x633000\r\n 0 bytes written: ERROR' } });
  const result = await runCli(args);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /error: U-Boot command `nand write \$\{defaultLoadAddr\} 0x3200000 0x633000` failed: 0 bytes written: ERROR\nhint: the whole console session is in .*flash-tftp\.log/);
  t.false(fake.commands.includes('saveenv'));
  t.is(fake.saved.get('boot_part'), '1');
  t.regex(await readFile(log, 'latin1'), /bytes written: ERROR/);
});

testAsRootWithTools(tools, 'a window U-Boot cannot verify the new slot through after the reset fails the flash', async (t) => {
  // the window variable "is set" but keeps its stock 6 MiB: the 6.5 MB image fails its CRC at boot
  const { args } = await setup(t, { failOn: { 'setenv altKernSize': '' } });
  const result = await runCli(args);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /error: no kernel start after the reset: U-Boot printed "Verifying Checksum \.\.\. Bad Data CRC"/);
});

testAsRootWithTools(tools, 'an environment that is not the board\'s is refused before anything is loaded or written', async (t) => {
  const { fake, args } = await setup(t, { env: { ...caimanStockVariables, altKernAddr: '0x5a00000' } });
  const result = await runCli(args);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /altKernAddr is 0x5a00000, but wrt1200ac's kernel2 starts at 0x3200000/);
  t.deepEqual(fake.commands, ['printenv']);
});

test('--dry-run prints every console command without connecting', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'kernel.uimg'), legacyUImage('dry', randomBytes(5000)));
  const result = await runCli(['flash', 'tftp', '--board', 'qemu-armhf', '--image', join(dir, 'kernel.uimg'), '--dry-run']);
  t.is(result.exitCode, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  t.regex(lines[0]!, /^# qemu-armhf: .*kernel\.uimg \(5064 bytes\); slot 2 shown, as if boot_part were 1/);
  t.deepEqual(lines.slice(1, 5), ['virtio scan', 'virtio read 0x48000000 0x1800 0x100', 'env import -d -c 0x48000000 0x20000', 'printenv    # checked against qemu-armhf; its boot_part picks the slot']);
  t.true(lines.includes('tftpboot ${defaultLoadAddr} kernel.uimg'));
  t.is(lines.at(-1), 'reset');

  const json = await runCli(['flash', 'tftp', '--board', 'wrt1900ac-v1', '--image', join(dir, 'kernel.uimg'), '--dry-run', '--slot', '1', '--json']);
  const listing = JSON.parse(json.stdout) as { slot: number; commands: { phase: string; command: string }[] };
  t.is(listing.slot, 1);
  t.deepEqual(listing.commands.find((c) => c.command.startsWith('nand write')), { phase: 'write', command: 'nand write ${default_load_addr} 0xa00000 0x1800' });
});

const refused = test.macro(async (t, args: string[], exitCode: number, message: RegExp) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'kernel.uimg'), legacyUImage('x', randomBytes(100)));
  await writeFile(join(dir, 'not.uimg'), randomBytes(100));
  const result = await runCli(['flash', 'tftp', ...args], { cwd: dir });
  t.is(result.exitCode, exitCode);
  t.regex(result.stderr, message);
});
test('flash tftp without --serial is a usage error', refused, ['--board', 'wrt1200ac'], 2, /flash tftp needs --serial DEV, unix:PATH or tcp:HOST:PORT/);
test('flash tftp without a board is a usage error', refused, ['--serial', '/dev/ttyUSB0'], 2, /flash tftp needs --board ID or -c FILE/);
test('--slot other than 1 or 2 is a usage error', refused, ['--board', 'wrt1200ac', '--serial', '/dev/null', '--slot', '3'], 2, /--slot must be 1 or 2, not "3"/);
test('a board without a U-Boot console is refused', refused, ['--board', 'x86-64', '--image', 'kernel.uimg', '--dry-run'], 1, /x86-64 has no U-Boot console to flash from/);
test('a file that is not a uImage is refused before connecting', refused, ['--board', 'wrt1200ac', '--image', 'not.uimg', '--serial', 'unix:/nonexistent'], 1, /not\.uimg is not a legacy U-Boot image/);
test('no built image is refused naming -c FILE, --image PATH and how to build it', refused, ['--board', 'wrt1200ac', '--serial', 'unix:/nonexistent'], 1, /no kernel image at .*out\/wrt1200ac\/kernel\.uimg\nhint: a build lands beside its config: name the config with -c FILE, or --image PATH flashes a kernel\.uimg from elsewhere; or build one: mcdebian build --board wrt1200ac/);

test('an image larger than the kernel slot is refused before connecting', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'big.uimg'), legacyUImage('big', Buffer.alloc(0x280_0000)));
  const result = await runCli(['flash', 'tftp', '--board', 'wrt1200ac', '--image', join(dir, 'big.uimg'), '--serial', 'unix:/nonexistent']);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /big\.uimg is 41943104 bytes, larger than wrt1200ac's 41943040-byte kernel slot/);
});

test('without -c, a build beside a config nearby is named with -c FILE in the hint', async (t) => {
  const dir = await makeTempDir(t);
  await mkdir(join(dir, 'lab/out/wrt1200ac'), { recursive: true });
  await writeFile(join(dir, 'lab/wrt.yaml'), 'board: wrt1200ac\n');
  await writeFile(join(dir, 'lab/out/wrt1200ac/kernel.uimg'), legacyUImage('x', randomBytes(100)));
  const result = await runCli(['flash', 'tftp', '--board', 'wrt1200ac', '--serial', 'unix:/nonexistent'], { cwd: dir });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /hint: the build of lab\/wrt\.yaml is at lab\/out\/wrt1200ac\/kernel\.uimg: add -c lab\/wrt\.yaml; a build lands beside its config: name the config with -c FILE, or --image PATH/);
});
