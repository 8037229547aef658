import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../../overlays/dns-blacklist/app/config.js';
import { hashPassword as hashPasswordLine, verifyPassword } from '../../../overlays/dns-blacklist/app/password.js';
import { startService } from '../../../overlays/dns-blacklist/app/serve.js';
import { createMemoryLog } from '../../../overlays/runtime/service-log.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { runOnTerminal } from './helpers/terminal.js';
import { SlowMemoryUpdater } from './app/fakes.js';

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

/** The admin API of `serve` on a loopback port, its zone in memory, and a password file for it. */
async function startAdminApi(t: ExecutionContext, domains: string[]): Promise<{ api: string; passwordFile: string; dir: string }> {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'admin.hash'), `${await hashPasswordLine('correct horse battery', { N: 1024, r: 8, p: 1 })}\n`);
  await writeFile(join(dir, 'admin-password'), 'correct horse battery\n');
  const config = parseConfig({ tsigKeyFile: join(dir, 'rpz.key'), action: { kind: 'nxdomain' }, api: { listen: '127.0.0.1', user: 'admin', passwordHashFile: join(dir, 'admin.hash') } }, 'admin.json', {});
  const updater = new SlowMemoryUpdater();
  updater.domains = new Set(domains);
  const service = await startService({ ...config, api: { ...config.api, port: 0 } }, createMemoryLog(), updater);
  t.teardown(() => service.close());
  return { api: `http://127.0.0.1:${service.api.port}`, passwordFile: join(dir, 'admin-password'), dir };
}

test('list prints the blocked domains one a line, and as JSON with their count', async (t) => {
  const { api, passwordFile } = await startAdminApi(t, ['b.example', 'a.example']);
  const text = await runCli(['dns-blacklist', 'list', '--api', api, '--password-file', passwordFile]);
  t.is(text.exitCode, 0, text.stderr);
  t.is(text.stdout, 'a.example\nb.example');
  const json = await runCli(['dns-blacklist', 'list', '--api', api, '--password-file', passwordFile, '--json']);
  t.deepEqual(JSON.parse(json.stdout), { api, count: 2, domains: ['a.example', 'b.example'] });
});

test('list with the wrong password says the API refused it and which flags to check', async (t) => {
  const { api, dir } = await startAdminApi(t, []);
  await writeFile(join(dir, 'wrong'), 'battery horse correct\n');
  const result = await runCli(['dns-blacklist', 'list', '--api', api, '--password-file', join(dir, 'wrong')]);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /error: http:\/\/127\.0\.0\.1:\d+\/domains answered 401: wrong user name or password\nhint: check --user and --password-file/);
});

const listUsage = test.macro({
  async exec(t, args: string[], message: RegExp) {
    const result = await runCli(['dns-blacklist', 'list', ...args]);
    t.is(result.exitCode, 2);
    t.regex(result.stderr, message);
  },
  title: (given, args: string[]) => given ?? `list ${args.join(' ')} is a usage error`,
});

test('list without --api or --password-file is a usage error naming both', listUsage, ['--api', 'http://127.0.0.1:1'], /dns-blacklist list needs --api URL and --password-file FILE/);
test('list takes no arguments', listUsage, ['extra', '--api', 'http://127.0.0.1:1', '--password-file', 'x'], /dns-blacklist list: Unexpected argument 'extra'/);
test('list with an --api without its scheme names the flag and an example', listUsage, ['--api', '192.168.1.1:8053', '--password-file', 'x'],
  /error: --api "192\.168\.1\.1:8053" is not an http:\/\/ or https:\/\/ URL\nhint: e\.g\. --api http:\/\/192\.168\.1\.1:8053/);
