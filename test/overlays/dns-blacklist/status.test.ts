/** dns-blacklist's status parse on outputs recorded from a booted qemu-armhf. */
import test from 'ava';
import { parseDnsBlacklistStatus } from '../../../overlays/dns-blacklist/status.js';
import { recordedOutputs } from '../../helpers/status-fixtures.js';

const now = 1_796_598_671;

test('the recorded device: named and the admin unit active, the API answering, one domain blocked', (t) => {
  const health = parseDnsBlacklistStatus(recordedOutputs('router-round', 'dns-blacklist'), { now });
  t.deepEqual(health.problems, []);
  t.deepEqual(health.lines, [
    'named.service active since 2026-12-06 23:06:03 UTC (5 min 8 s); mcdebian-dns-blacklist.service active since 2026-12-06 23:06:11 UTC (5 min 0 s)',
    'policy zone rpz.mcdebian: 1 blocked domain',
    'admin API http://127.0.0.1:8053/health: answers',
  ]);
  t.like(health.data, { health: { zone: { domains: 1 }, api: { answering: true } } });
});

test('an image whose service has no health mode says the mode failed, with what the service said', (t) => {
  const health = parseDnsBlacklistStatus(recordedOutputs('round-before-health-modes', 'dns-blacklist'), { now });
  t.is(health.problems.length, 1);
  t.regex(health.problems[0]!, /^mcdebian-dns-blacklist health exited 64: unknown command or arguments: health/);
});

test('a stopped named, an API that does not answer and an unreadable zone are each a problem', (t) => {
  const outputs = recordedOutputs('router-round', 'dns-blacklist').map((output) => ({ ...output }));
  outputs[0] = { ...outputs[0]!, stdout: outputs[0]!.stdout.replace('ActiveState=active\nSubState=running\nActiveEnterTimestamp=@1796598363', 'ActiveState=failed\nSubState=failed\nActiveEnterTimestamp=@1796598363').replace('Result=success\nNRestarts=0\nId=named', 'Result=exit-code\nNRestarts=0\nId=named') };
  outputs[1] = { stdout: '{"api":{"url":"http://127.0.0.1:8053/health","answering":false,"error":"connect ECONNREFUSED 127.0.0.1:8053"},"zone":{"name":"rpz.mcdebian","error":"dig: the zone transfer of rpz.mcdebian returned no SOA record"}}\n', stderr: '', code: 0 };
  t.deepEqual(parseDnsBlacklistStatus(outputs, { now }).problems, [
    'named.service is failed (last run: exit-code)',
    'the admin API does not answer at http://127.0.0.1:8053/health: connect ECONNREFUSED 127.0.0.1:8053',
    'the policy zone rpz.mcdebian could not be read: dig: the zone transfer of rpz.mcdebian returned no SOA record',
  ]);
});
