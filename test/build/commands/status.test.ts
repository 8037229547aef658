/**
 * `mcdebian status` from the command line: its usage errors (exit 2) and a device that does not
 * answer (exit 1, naming the address). Against a booted device: test/overlays/router-boot.test.ts.
 */
import test from 'ava';
import { execa } from 'execa';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/guest.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const exits = test.macro({
  async exec(t, args: string[], expected: { code: number; stderr: RegExp }) {
    const result = await runCli(['status', ...args]);
    t.is(result.exitCode, expected.code, result.stderr);
    t.regex(result.stderr, expected.stderr);
    t.is(result.stdout, '');
  },
  title: (given, args: string[]) => `status ${args.join(' ')} ${given}`,
});

test('without --host is a usage error', exits, ['--board', 'qemu-armhf'], { code: 2, stderr: /error: status needs --host H\nhint: the device's address/ });
test('without --board or -c is a usage error saying why the board is needed', exits, ['--host', '127.0.0.1'], { code: 2, stderr: /error: status needs --board ID or -c FILE: the board says which kernel slot a device booted/ });
test('with a port out of range is a usage error naming the flag', exits, ['--host', '127.0.0.1', '--board', 'qemu-armhf', '--port', '70000'], { code: 2, stderr: /--port must be a whole number from 1 to 65535, not "70000"/ });
test('with an unknown flag says so with the usage', exits, ['--host', '127.0.0.1', '--bord', 'qemu-armhf'], { code: 2, stderr: /unknown flag --bord \(did you mean "--board"\?\)[\s\S]*hint: usage: mcdebian status --host H/ });
test('with an unknown board names the known ones', exits, ['--host', '127.0.0.1', '--board', 'wrt32x'], { code: 1, stderr: /unknown board "wrt32x"/ });

test('status of a device nobody answers for exits 1 naming the address and the flags to check', async (t) => {
  const port = await freePort();
  const dir = await makeTempDir(t);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')], { stdin: 'ignore' });
  const result = await runCli(['status', '--host', '127.0.0.1', '--port', String(port), '--board', 'qemu-armhf', '--identity', join(dir, 'key')]);
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, new RegExp(`error: cannot log in to root@127\\.0\\.0\\.1:${port} over SSH: .*ECONNREFUSED[\\s\\S]*hint: check --host and --port`));
});

test('status --help describes every flag', async (t) => {
  const result = await runCli(['status', '--help']);
  t.is(result.exitCode, 0);
  for (const flag of ['--host', '--board', '--config', '--port', '--user', '--identity', '--known-hosts', '--accept-new-host-key', '--json']) t.true(result.stdout.includes(flag), flag);
});
