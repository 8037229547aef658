/** build/status/report.ts and text.ts on rounds recorded from a booted qemu-armhf. */
import test from 'ava';
import { getBoard } from '../../../board/index.js';
import { buildReport } from '../../../build/status/report.js';
import { formatReport } from '../../../build/status/text.js';
import { overlays } from '../../../overlays/index.js';
import { loadRound } from '../../helpers/status-fixtures.js';

const board = getBoard('qemu-armhf');
const address = '127.0.0.1:41613';

test('the recorded device is degraded by its relay\'s link alone, and the text says so at a glance', (t) => {
  const report = buildReport({ address, board, overlays, outputs: loadRound('router-round') });
  t.false(report.healthy);
  t.deepEqual(report.problems, ['smpp-relay: link carrier to 10.0.2.2:42775 is reconnecting: cannot bind to 10.0.2.2:42775: connect ECONNREFUSED 10.0.2.2:42775']);
  t.is(formatReport(report), `branch7 (qemu-armhf at 127.0.0.1:41613): degraded, 1 problem
  up 9 min 11 s; systemd running; no failed units
  slot 1 (kernel1, booted): "McDebian qemu-armhf", built 2026-12-06T22:21:49Z, 13243872 bytes
  slot 2 (kernel2, the other): "McDebian qemu-armhf", built 2026-12-06T22:21:49Z, 13243872 bytes
  next boot: slot 1; boot counter 0
  kernel 6.12.117+deb13-armmp

callhome: ok
  tunnel to root@10.0.2.2:42022: connected to 10.0.2.2:42022; mcdebian-callhome.service active since 2026-12-06 23:07:14 UTC (3 min 57 s), 7 restarts
  ssh's last message, 2026-12-06T23:06:52Z: ssh: connect to host 10.0.2.2 port 42022: Network is unreachable

dns-blacklist: ok
  named.service active since 2026-12-06 23:06:03 UTC (5 min 8 s); mcdebian-dns-blacklist.service active since 2026-12-06 23:06:11 UTC (5 min 0 s)
  policy zone rpz.mcdebian: 1 blocked domain
  admin API http://127.0.0.1:8053/health: answers

smpp-relay: 1 problem
  mcdebian-smpp-relay.service active since 2026-12-06 23:07:37 UTC (3 min 34 s)
  link carrier to 10.0.2.2:42775: reconnecting, health in, queued 0, in flight 0/10
  messages: 0 open, 0 parts waiting for a link, 0 receipts awaited, 0 DLR URLs pending
  store /var/lib/mcdebian-smpp-relay/messages/smpp-relay.journal: 0 bytes, writable

problems:
  - smpp-relay: link carrier to 10.0.2.2:42775 is reconnecting: cannot bind to 10.0.2.2:42775: connect ECONNREFUSED 10.0.2.2:42775
`);
});

test('an overlay the config lists but the device lacks is a problem; one it has but the config does not list is shown', (t) => {
  const outputs = loadRound('router-round');
  outputs.set('callhome', { present: false, outputs: [] });
  const report = buildReport({ address, board, overlays, outputs, configured: ['callhome', 'dns-blacklist'] });
  t.deepEqual(report.overlays.map(({ name, installed, configured }) => ({ name, installed, configured })), [
    { name: 'callhome', installed: false, configured: true },
    { name: 'dns-blacklist', installed: true, configured: true },
    { name: 'smpp-relay', installed: true, configured: false },
  ]);
  t.true(report.problems.includes('callhome: the config lists it, but the device does not have mcdebian-callhome.service: flash the image built from that config'));
  t.regex(formatReport(report), /\ncallhome: not on the device\n/);
});

test('without -c an overlay the device lacks is left out, not a problem', (t) => {
  const outputs = loadRound('router-round');
  outputs.set('smpp-relay', { present: false, outputs: [] });
  const report = buildReport({ address, board, overlays, outputs });
  t.deepEqual(report.overlays.map((overlay) => overlay.name), ['callhome', 'dns-blacklist']);
  t.true(report.healthy);
  t.regex(formatReport(report), /^branch7 \(qemu-armhf at 127\.0\.0\.1:41613\): healthy\n/);
});

test('an unconfirmed boot, a slot switch waiting for the next boot and a pending kernel are in the report', (t) => {
  const outputs = loadRound('router-round');
  const system = outputs.get('system')!.outputs;
  system[5] = { stdout: 'running 6.12.117+deb13-armmp\ninstalled 6.12.117+deb13-armmp\ninstalled 6.12.118+deb13-armmp\n', stderr: '', code: 0 };
  system[6] = { stdout: '2\n', stderr: '', code: 0 };
  system[7] = { ...system[7]!, stdout: system[7]!.stdout.replace('"count":0', '"count":2') };
  outputs.set('smpp-relay', { present: false, outputs: [] });
  const report = buildReport({ address, board, overlays, outputs });
  t.deepEqual(report.problems, [
    'the boot counter is at 2: this boot has not been confirmed healthy (mcdebian-boot-health.service); U-Boot boots the other slot after 3 unconfirmed boots',
    'slot 1 is running but U-Boot\'s boot_part says 2: the next boot starts the other slot (an unfinished flash, or a fallback)',
  ]);
  t.regex(formatReport(report), /\n {2}kernel 6\.12\.117\+deb13-armmp; pending kernel update: 6\.12\.118\+deb13-armmp in \/boot, not booted\n/);
});
