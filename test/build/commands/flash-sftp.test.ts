/**
 * `flash sftp` up to its first command on the device, against an SSH server on the loopback:
 * where it looks for the build, and which keys it logs in with. The whole flash runs against
 * the QEMU stand-in in test/flash/flash-boot.test.ts.
 */
import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { createWaitPrinter } from '../../../build/commands/flash-sftp.js';
import { runCli } from '../../helpers/cli.js';
import { startFakeSshServer } from '../../helpers/fake-ssh-server.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';
import { makeUImage } from '../../helpers/uimage.js';

test('flash sftp --board without -c, beside a built config, names -c FILE, --image PATH and that config', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'demo/qemu.yaml': 'board: qemu-armhf\nhostname: demo\n' });
  await mkdir(join(dir, 'demo/out/qemu-armhf'), { recursive: true });
  await writeFile(join(dir, 'demo/out/qemu-armhf/kernel.uimg'), makeUImage('demo', Buffer.from('kernel')));
  const result = await runCli(['flash', 'sftp', '--board', 'qemu-armhf', '--host', '127.0.0.1', '--port', '1'], { cwd: dir });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /error: no kernel image at \S+\/out\/qemu-armhf\/kernel\.uimg\n/);
  t.regex(result.stderr, /hint: the build of demo\/qemu\.yaml is at demo\/out\/qemu-armhf\/kernel\.uimg: add -c demo\/qemu\.yaml; /);
  t.regex(result.stderr, /name the config with -c FILE, or --image PATH flashes a kernel\.uimg from elsewhere/);
});

test('flash sftp -c logs in with the private half of a key the config authorizes, with no agent and no ~/.ssh', async (t) => {
  const dir = await makeTempDir(t);
  await mkdir(join(dir, 'keys'));
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin', '-f', join(dir, 'keys/admin')]);
  await writeFiles(dir, { 'router.yaml': 'board: qemu-armhf\nusers:\n  - name: root\n    authorizedKeys: [keys/admin.pub]\n' });
  const server = await startFakeSshServer({ authorizedKeys: [(await readFile(join(dir, 'keys/admin.pub'), 'utf8')).trim()] });
  t.teardown(() => server.close());
  await writeFile(join(dir, 'known_hosts'), server.knownHostsLine);
  await writeFile(join(dir, 'kernel.uimg'), makeUImage('demo', Buffer.from('kernel')));
  const result = await runCli(
    ['flash', 'sftp', '-c', 'router.yaml', '--image', 'kernel.uimg', '--host', '127.0.0.1', '--port', String(server.port), '--known-hosts', 'known_hosts', '--dry-run'],
    { cwd: dir, env: { HOME: join(dir, 'home'), SSH_AUTH_SOCK: '' } },
  );
  t.is(result.exitCode, 1);
  // logged in: the first command on the device ran (and the fake device refused it)
  t.regex(result.stderr, /reading the device failed on the device \(exit 1\)/);
  t.is(server.offered.length, 1);
});

/** A stream that keeps what is written, a terminal or not. */
function recordingStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream & { isTTY?: boolean } };
}

test('in plain output the health wait prints a line when what it waits for changes, and every 15 s while it does not', (t) => {
  const { written, stream } = recordingStream(false);
  const printer = createWaitPrinter({ stream, timeoutMs: 600_000 });
  const polls: [string, number][] = [['R is rebooting', 0], ['R does not answer yet (ECONNREFUSED)', 5_000], ['R does not answer yet (ECONNREFUSED)', 10_000],
    ['R does not answer yet (ECONNREFUSED)', 15_000], ['R does not answer yet (ECONNREFUSED)', 20_000], ['R is booting', 25_000], ['R is booting', 30_000]];
  for (const [text, ms] of polls) printer.print(text, ms);
  printer.end();
  t.deepEqual(written, [
    'waiting for health, 0 s of 10 min 00 s: R is rebooting\n',
    'waiting for health, 5 s of 10 min 00 s: R does not answer yet (ECONNREFUSED)\n',
    'waiting for health, 20 s of 10 min 00 s: R does not answer yet (ECONNREFUSED)\n',
    'waiting for health, 25 s of 10 min 00 s: R is booting\n',
  ]);
});

test('on a terminal the health wait redraws its line at every poll and starts a new one when what it waits for changes', (t) => {
  const { written, stream } = recordingStream(true);
  const printer = createWaitPrinter({ stream, timeoutMs: 60_000 });
  printer.print('R is rebooting', 0);
  printer.print('R is rebooting', 5_000);
  printer.print('R is booting', 10_000);
  printer.end();
  t.deepEqual(written, [
    '\r\x1b[Kwaiting for health, 0 s of 1 min 00 s: R is rebooting',
    '\r\x1b[Kwaiting for health, 5 s of 1 min 00 s: R is rebooting',
    '\nwaiting for health, 10 s of 1 min 00 s: R is booting',
    '\n',
  ]);
});
