import test, { type ExecutionContext } from 'ava';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { openConsoleStream, parseConsoleAddress, sttyArgs } from '../../flash/console-stream.js';
import { UBootConsole } from '../../flash/uboot-console.js';
import { startFakeUBoot, type FakeUBootOptions } from './helpers/fake-uboot.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { caimanStockVariables } from './stock-env.js';

/** A fake Marvell U-Boot and a console driver connected to it, with the transcript kept in memory. */
async function connect(t: ExecutionContext, options: Partial<FakeUBootOptions> = {}) {
  const dir = await makeTempDir(t);
  const fake = await startFakeUBoot(dir, { env: { ...caimanStockVariables }, nandBytes: 1024, tftpPort: 0, ...options });
  t.teardown(() => fake.close());
  const transcript = new PassThrough();
  const chunks: Buffer[] = [];
  transcript.on('data', (chunk: Buffer) => chunks.push(chunk));
  const stream = await openConsoleStream({ kind: 'unix', path: fake.socket }, { baud: 115200 });
  const uboot = new UBootConsole(stream, { prompt: 'Marvell>> ', transcript, transcriptPath: '/out/flash-tftp.log', echoTimeoutMs: 500 });
  t.teardown(() => uboot.close());
  return { fake, uboot, transcript: () => Buffer.concat(chunks).toString('latin1') };
}

test('the autoboot is stopped, a command runs, and its output comes back without echo or prompt', async (t) => {
  const { fake, uboot, transcript } = await connect(t);
  await uboot.stopAutoboot(5000);
  t.is(await uboot.run('printenv boot_part', { timeoutMs: 5000 }), 'boot_part=1\r\n');
  t.deepEqual(fake.commands, ['printenv boot_part'], 'the key presses that stopped the autoboot ran nothing');
  t.regex(transcript(), /Hit any key to stop autoboot[\s\S]*Marvell>> printenv boot_part\r\nboot_part=1\r\nMarvell>> $/);
});

test('an error word in the output fails with the command and the line, and names the transcript', async (t) => {
  const { uboot } = await connect(t, { failOn: { 'nand write': '\r\nNAND write: device 0 offset 0x3200000, size 0x602800\r\n 0 bytes written: ERROR' } });
  await uboot.stopAutoboot(5000);
  const error = await t.throwsAsync(uboot.run('nand write ${defaultLoadAddr} 0x3200000 0x602800', { timeoutMs: 5000 }));
  t.is(error.message, 'U-Boot command `nand write ${defaultLoadAddr} 0x3200000 0x602800` failed: 0 bytes written: ERROR');
  t.is((error as { hint?: string }).hint, 'the whole console session is in /out/flash-tftp.log');
});

const failing = test.macro(async (t, output: string, expected: RegExp) => {
  const { uboot } = await connect(t, { failOn: { tftpboot: output } });
  await uboot.stopAutoboot(5000);
  await t.throwsAsync(uboot.run('tftpboot 0x2000000 kernel.uimg', { timeoutMs: 5000 }), { message: expected });
});
test('a TFTP error fails tftpboot', failing, "TFTP error: 'File not found' (1)\r\nNot retrying...", /failed: TFTP error: 'File not found'/);
test('a timed-out TFTP fails tftpboot', failing, 'Loading: T T T T T T T T T T \r\nRetry count exceeded; starting again', /failed: Retry count exceeded/);
test('an unknown command fails', failing, "Unknown command 'tftpboot' - try 'help'", /failed: Unknown command/);

test('output that lacks what the command must print fails, quoting the last line', async (t) => {
  const { uboot } = await connect(t, { failOn: { tftpboot: 'Bytes transferred = 1000 (3e8 hex)' } });
  await uboot.stopAutoboot(5000);
  await t.throwsAsync(uboot.run('tftpboot 0x2000000 kernel.uimg', { timeoutMs: 5000, expect: /Bytes transferred = 6300001 / }), {
    message: /`tftpboot 0x2000000 kernel.uimg` failed: its output lacks Bytes transferred = 6300001 : Bytes transferred = 1000 \(3e8 hex\)/,
  });
});

test('a line whose echo lost a character is dropped with Ctrl-C and never run', async (t) => {
  const { fake, uboot, transcript } = await connect(t, { dropFromEcho: '3' });
  await uboot.stopAutoboot(5000);
  await t.throwsAsync(uboot.run('nand erase 0x3200000 0x2800000', { timeoutMs: 5000 }), { message: /did not echo `nand erase 0x3200000 0x2800000` back intact, so it was not run/ });
  await new Promise((done) => setTimeout(done, 200));
  t.deepEqual(fake.commands, []);
  t.regex(transcript(), /<INTERRUPT>/);
});

test('a command that never returns to the prompt times out with the console\'s last line', async (t) => {
  const { uboot } = await connect(t, { hangOn: ['saveenv'] });
  await uboot.stopAutoboot(5000);
  await t.throwsAsync(uboot.run('saveenv', { timeoutMs: 300 }), { message: 'no prompt after `saveenv` within 0.3 s; the console\'s last line: "Marvell>> saveenv"' });
});

test('no autoboot countdown in time is an error', async (t) => {
  const uboot = new UBootConsole(new PassThrough(), { prompt: '=> ' });
  await t.throwsAsync(uboot.stopAutoboot(200), { message: /no autoboot countdown \("Hit any key to stop autoboot"\) and prompt within 0.2 s/ });
  uboot.close();
});

test('a console that closes fails the wait at once', async (t) => {
  const stream = new PassThrough();
  const uboot = new UBootConsole(stream, { prompt: '=> ' });
  const waiting = uboot.stopAutoboot(10_000);
  stream.end();
  await t.throwsAsync(waiting, { message: /the console closed while waiting \(autoboot countdown/ });
});

test('a unix socket that does not exist yet is waited for (QEMU still starting)', async (t) => {
  const dir = await makeTempDir(t);
  const later = new Promise<Awaited<ReturnType<typeof startFakeUBoot>>>((resolve) => setTimeout(() => resolve(startFakeUBoot(dir, { env: {}, nandBytes: 16, tftpPort: 0 })), 300));
  const stream = await openConsoleStream({ kind: 'unix', path: join(dir, 'uboot.sock') }, { baud: 115200, connectTimeoutMs: 5000 });
  stream.destroy();
  await (await later).close();
  await t.throwsAsync(openConsoleStream({ kind: 'unix', path: join(dir, 'none.sock') }, { baud: 115200, connectTimeoutMs: 200 }), { message: /cannot connect to the console at .*none\.sock/ });
});

const address = test.macro({
  exec: (t, text: string, expected: unknown) => t.deepEqual(parseConsoleAddress(text), expected),
  title: (_, text: string) => `--serial ${text} is understood`,
});
test(address, '/dev/ttyUSB0', { kind: 'serial', device: '/dev/ttyUSB0' });
test(address, 'unix:/run/qemu/console', { kind: 'unix', path: '/run/qemu/console' });
test(address, 'tcp:localhost:4555', { kind: 'tcp', host: 'localhost', port: 4555 });

test('a serial line is set raw at the console\'s speed with stty', (t) => {
  t.deepEqual(sttyArgs('/dev/ttyUSB0', 115200), ['stty', '-F', '/dev/ttyUSB0', '115200', 'raw', '-echo']);
  t.throws(() => parseConsoleAddress('tcp:4555'), { message: /expected tcp:HOST:PORT/ });
});
