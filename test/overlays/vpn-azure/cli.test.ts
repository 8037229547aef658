/** `mcdebian vpn-azure status` with a fake device session: what it runs there, what it prints, its exit code. */
import test from 'ava';
import { PassThrough } from 'node:stream';
import type { CommandContext } from '../../../build/core/command.js';
import type { CommandHost, RemoteAddress } from '../../../overlays/overlay.js';
import { lastFailure } from '../../../overlays/vpn-azure/app/charon-log.js';
import { parseListConns, parseListSas } from '../../../overlays/vpn-azure/app/charon-state.js';
import { vpnStatusOf } from '../../../overlays/vpn-azure/app/tunnel-status.js';
import { vpnAzureCommands } from '../../../overlays/vpn-azure/cli.js';
import { recorded, recordedFile, recordedTunnel } from './status-fixtures.js';

function fakeDevice(answer: { code: number; stdout: string; stderr?: string }) {
  const seen: { addresses: RemoteAddress[]; commands: string[]; ended: number } = { addresses: [], commands: [], ended: 0 };
  const host: CommandHost = {
    loadConfig: () => Promise.reject(new Error('not used')),
    connect: (address) => {
      seen.addresses.push(address);
      return Promise.resolve({
        hostKey: { fingerprint: 'SHA256:test' },
        exec: (command: string) => {
          seen.commands.push(command);
          return Promise.resolve({ stderr: '', ...answer });
        },
        end: () => {
          seen.ended += 1;
          return Promise.resolve();
        },
      });
    },
  };
  return { host, seen };
}

async function run(host: CommandHost, argv: Record<string, string | boolean>) {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (chunk: Buffer) => { printed += chunk.toString(); });
  const context = { stdout, logger: { info() {}, warn() {}, error() {}, debug() {} }, env: {}, cwd: '/work/site' } as unknown as CommandContext;
  const code = await vpnAzureCommands(host).subcommands.status!.run(context, argv, []);
  return { code, printed };
}

const report = (recording: string) => {
  const reason = lastFailure(recorded(`${recording}/journal.json`), recordedTunnel);
  return JSON.stringify(vpnStatusOf(recordedFile, {
    now: 1_796_615_920, sas: parseListSas(recorded(`${recording}/list-sas.txt`)), conns: parseListConns(recorded(`${recording}/list-conns.txt`)),
    routes: new Map([['az-hq-1', []]]), reasons: new Map(reason ? [['azure-hq-1', reason] as const] : []),
  }));
};

test('logs in with the device flags, runs the device tool with --json once, and prints its report as text', async (t) => {
  const { host, seen } = fakeDevice({ code: 0, stdout: report('established') });
  const { code, printed } = await run(host, { host: '192.168.1.1', port: '2222', identity: 'keys/id', 'known-hosts': 'kh' });
  t.is(code, 0);
  t.deepEqual(seen.addresses, [{ host: '192.168.1.1', port: 2222, user: 'root', identity: '/work/site/keys/id', knownHosts: '/work/site/kh', acceptNewHostKey: false }]);
  t.deepEqual(seen.commands, ['/usr/sbin/mcdebian-vpn-azure status --json']);
  t.is(seen.ended, 1);
  t.regex(printed, /^azure-hq-1 \(connection hq, gateway 10\.99\.0\.2\): ESTABLISHED/);
});

test('--json prints the device\'s report as JSON; a tunnel down exits 3', async (t) => {
  const { host } = fakeDevice({ code: 3, stdout: report('dead-peer') });
  const { code, printed } = await run(host, { host: '192.168.1.1', json: true });
  t.is(code, 3);
  const parsed = JSON.parse(printed) as { tunnels: { up: boolean; reason?: { kind: string } }[] };
  t.like(parsed.tunnels[0], { up: false, reason: { kind: 'peer-not-responding' } });
});

test('charon not reachable on the device is an error with how to check', async (t) => {
  const { host } = fakeDevice({ code: 1, stdout: '{"error":"charon cannot be reached over vici: swanctl exited 2","hint":"check: systemctl status strongswan; journalctl -u strongswan"}\n' });
  await t.throwsAsync(run(host, { host: '192.168.1.1' }), { message: /^192\.168\.1\.1: charon cannot be reached over vici/ });
});

test('needs --host', async (t) => {
  const { host, seen } = fakeDevice({ code: 0, stdout: '' });
  await t.throwsAsync(run(host, {}), { message: /vpn-azure status needs --host H/ });
  t.deepEqual(seen.addresses, []);
});
