/** vpn-azure's part of `mcdebian status`, fed the device tool's JSON built from recorded outputs. */
import test from 'ava';
import { lastFailure } from '../../../overlays/vpn-azure/app/charon-log.js';
import { parseListConns, parseListSas } from '../../../overlays/vpn-azure/app/charon-state.js';
import { vpnStatusOf } from '../../../overlays/vpn-azure/app/tunnel-status.js';
import { parseVpnAzureStatus, vpnAzureStatus } from '../../../overlays/vpn-azure/status.js';
import { recorded, recordedFile, recordedTunnel } from './status-fixtures.js';

const now = 1_796_615_920;
const unit = (state: string) => ({ stdout: `Id=strongswan.service\nLoadState=loaded\nActiveState=${state}\nSubState=running\nResult=success\nNRestarts=0\nMainPID=812\nActiveEnterTimestamp=@1796615000\n`, stderr: '', code: 0 });

function report(recording: string) {
  const reason = lastFailure(recorded(`${recording}/journal.json`), recordedTunnel);
  const reasons = new Map(reason ? [['azure-hq-1', reason] as const] : []);
  return vpnStatusOf(recordedFile, {
    now, sas: parseListSas(recorded(`${recording}/list-sas.txt`)), conns: parseListConns(recorded(`${recording}/list-conns.txt`)),
    routes: new Map([['az-hq-1', JSON.parse(recorded('established/routes.json')) as { dst: string }[]]]), reasons,
  });
}

test('its unit is strongswan.service, and it runs the device tool with --json', (t) => {
  t.deepEqual(vpnAzureStatus.units, ['strongswan.service']);
  t.is(vpnAzureStatus.commands[1], '/usr/sbin/mcdebian-vpn-azure status --json');
});

test('an established tunnel: no problem, a line with its state and bytes', (t) => {
  const health = parseVpnAzureStatus([unit('active'), { stdout: JSON.stringify(report('established')), stderr: '', code: 0 }], { now });
  t.deepEqual(health.problems, []);
  t.regex(health.lines[1]!, /^tunnel azure-hq-1 to 10\.99\.0\.2: ESTABLISHED for \d+ s AES_GCM_16-256\/PRF_HMAC_SHA2_384\/ECP_384; azure-hq-1 INSTALLED \(in \d+ B, out \d+ B\); az-hq-1 routes present$/);
});

test('a tunnel down is a problem naming the tunnel and why', (t) => {
  const health = parseVpnAzureStatus([unit('active'), { stdout: JSON.stringify(report('wrong-psk')), stderr: '', code: 3 }], { now });
  t.is(health.problems.length, 1);
  t.regex(health.problems[0]!, /^tunnel azure-hq-1 to 10\.99\.0\.2 is down: authentication failed .*pre-shared key/);
});

test('charon not reachable and the unit not active are problems, with how to check', (t) => {
  const health = parseVpnAzureStatus([unit('failed'), { stdout: '{"error":"charon cannot be reached over vici: swanctl exited 2: Error: connecting to \'unix:///run/charon.vici\' URI failed: No such file or directory","hint":"check: systemctl status strongswan; journalctl -u strongswan"}\n', stderr: '', code: 1 }], { now });
  t.is(health.problems.length, 2);
  t.regex(health.problems[0]!, /^strongswan\.service is failed/);
  t.regex(health.problems[1]!, /^charon cannot be reached over vici: .*\(check: systemctl status strongswan/);
});

test('an image without the tool says what the shell said', (t) => {
  const health = parseVpnAzureStatus([unit('active'), { stdout: '', stderr: 'sh: 1: /usr/sbin/mcdebian-vpn-azure: not found\n', code: 127 }], { now });
  t.deepEqual(health.problems, ['/usr/sbin/mcdebian-vpn-azure status exited 127: sh: 1: /usr/sbin/mcdebian-vpn-azure: not found']);
});
