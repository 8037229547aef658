/**
 * `mcdebian logs` from the command line: which units it reads, and its usage errors. Against a
 * booted device: test/overlays/router-boot.test.ts.
 */
import test from 'ava';
import { logUnits } from '../../../build/commands/logs.js';
import { runCli } from '../../helpers/cli.js';

test('an overlay\'s logs are its units, its own first', (t) => {
  t.deepEqual(logUnits('dns-blacklist'), ['mcdebian-dns-blacklist.service', 'named.service', 'mcdebian-bind-keys.service']);
  t.deepEqual(logUnits('callhome'), ['mcdebian-callhome.service']);
  t.deepEqual(logUnits('vote-backend'), ['mcdebian-vote-backend.service', 'mcdebian-vote-backend-database.service', 'mariadb.service']);
});

test('without an overlay the logs are every McDebian unit, the boot health check among them, and every overlay\'s', (t) => {
  t.deepEqual(logUnits(undefined), ['mcdebian-*', 'mcdebian-callhome.service', 'mcdebian-dns-blacklist.service', 'named.service', 'mcdebian-bind-keys.service', 'mcdebian-smpp-relay.service', 'strongswan.service',
    'mcdebian-vote-backend.service', 'mcdebian-vote-backend-database.service', 'mariadb.service']);
});

const exits = test.macro({
  async exec(t, args: string[], stderr: RegExp) {
    const result = await runCli(['logs', ...args]);
    t.is(result.exitCode, 2, result.stderr);
    t.regex(result.stderr, stderr);
  },
  title: (given, args: string[]) => `logs ${args.join(' ')} ${given}`,
});

test('with an unknown overlay is a usage error with "did you mean"', exits, ['--host', '127.0.0.1', 'smpp-rely'], /error: logs: unknown overlay "smpp-rely" \(did you mean "smpp-relay"\?\)\nhint: the overlays are callhome, dns-blacklist, smpp-relay/);
test('without --host is a usage error', exits, ['callhome'], /error: logs needs --host H/);
test('with two overlays is a usage error', exits, ['--host', '127.0.0.1', 'callhome', 'smpp-relay'], /error: logs: expected 0 to 1 arguments, got 2/);
test('with -n that is not a number is a usage error naming the flag', exits, ['--host', '127.0.0.1', '-n', 'ten'], /--lines must be a whole number from 1 to 1000000, not "ten"/);
