import test from 'ava';
import { execa } from 'execa';
import { verifyPassword } from '../../../overlays/dns-blacklist/app/password.js';
import { CLI } from '../../helpers/cli.js';
import { runOnTerminal } from '../../helpers/terminal.js';

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

test('hash-password on a terminal shows nothing typed, asks twice and prints the hash of the password', async (t) => {
  const terminal = runOnTerminal(['dns-blacklist', 'hash-password']);
  await terminal.waitFor(/password/i);
  terminal.type('correct horse battery\r');
  await terminal.waitFor(/again/i);
  terminal.type('correct horse battery\r');
  t.is(await terminal.exit(), 0, terminal.screen());
  t.false(terminal.screen().includes('horse'), `the terminal showed what was typed:\n${terminal.screen()}`);
  const hash = /scrypt\$\S+/.exec(terminal.screen())?.[0] ?? '';
  t.true(await verifyPassword('correct horse battery', hash), terminal.screen());
});

test('hash-password on a terminal refuses two different passwords and prints no hash', async (t) => {
  const terminal = runOnTerminal(['dns-blacklist', 'hash-password']);
  await terminal.waitFor(/password/i);
  terminal.type('correct horse battery\r');
  await terminal.waitFor(/again/i);
  terminal.type('correct horse batteyr\r');
  t.is(await terminal.exit(), 1);
  t.regex(terminal.screen(), /error: the two passwords differ/);
  t.notRegex(terminal.screen(), /scrypt\$/);
  t.false(terminal.screen().includes('horse'));
});

test('hash-password on a terminal stops on Ctrl-C with exit code 130 and prints no hash', async (t) => {
  const terminal = runOnTerminal(['dns-blacklist', 'hash-password']);
  await terminal.waitFor(/password/i);
  terminal.type('half typed\u0003');
  t.is(await terminal.exit(), 130, terminal.screen());
  t.false(terminal.screen().includes('half typed'));
  t.notRegex(terminal.screen(), /scrypt\$/);
});

test('dns-blacklist without a known action is a usage error', async (t) => {
  const result = await execa(process.execPath, [CLI, 'dns-blacklist', 'export'], { reject: false });
  t.is(result.exitCode, 2);
  t.regex(String(result.stderr), /expected hash-password, import FILE or list, not "export"/);
});

test('import refuses a --user that HTTP Basic cannot carry, before reading anything', async (t) => {
  const result = await execa(process.execPath, [CLI, 'dns-blacklist', 'import', 'missing-hosts.txt', '--api', 'http://127.0.0.1:1', '--password-file', 'missing', '--user', 'ad:min'], { reject: false });
  t.is(result.exitCode, 1);
  t.regex(String(result.stderr), /--user "ad:min" contains ":", which HTTP Basic authentication cannot carry in a user name \(RFC 7617, section 2\)/);
});
