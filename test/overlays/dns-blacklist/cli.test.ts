import test from 'ava';
import { execa } from 'execa';
import { verifyPassword } from '../../../overlays/dns-blacklist/app/password.js';
import { CLI } from '../../helpers/cli.js';

const hashPassword = (input: string) => execa(process.execPath, [CLI, 'dns-blacklist', 'hash-password'], { input, reject: false });

test('hash-password prints a hash line of the password on stdin, which verifies', async (t) => {
  const result = await hashPassword('correct horse battery\n');
  t.is(result.exitCode, 0, String(result.stderr));
  t.regex(String(result.stdout), /^scrypt\$\d+\$\d+\$\d+\$\S+\$\S+$/);
  t.true(await verifyPassword('correct horse battery', String(result.stdout).trim()));
  t.false(await verifyPassword('correct horse batter', String(result.stdout).trim()));
});

test('hash-password refuses a short password with exit code 1', async (t) => {
  const result = await hashPassword('short\n');
  t.is(result.exitCode, 1);
  t.regex(String(result.stderr), /error: the password is shorter than 8 characters/);
});

test('dns-blacklist without a known action is a usage error', async (t) => {
  const result = await execa(process.execPath, [CLI, 'dns-blacklist', 'export'], { reject: false });
  t.is(result.exitCode, 2);
  t.regex(String(result.stderr), /expected hash-password or import FILE, not "export"/);
});

test('import refuses a --user that HTTP Basic cannot carry, before reading anything', async (t) => {
  const result = await execa(process.execPath, [CLI, 'dns-blacklist', 'import', 'missing-hosts.txt', '--api', 'http://127.0.0.1:1', '--password-file', 'missing', '--user', 'ad:min'], { reject: false });
  t.is(result.exitCode, 1);
  t.regex(String(result.stderr), /--user "ad:min" contains ":", which HTTP Basic authentication cannot carry in a user name \(RFC 7617, section 2\)/);
});
