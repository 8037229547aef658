/**
 * smpp-relay's status parse on outputs recorded from a booted qemu-armhf (its SMSC down) and on
 * a status.json recorded from a relay with one link bound and one refused.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSmppRelayStatus } from '../../../overlays/smpp-relay/status.js';
import { recordedOutputs } from '../../helpers/status-fixtures.js';

const now = 1_796_598_671;
const twoLinks = readFileSync(fileURLToPath(new URL('../../../../test/fixtures/status/smpp-relay-status.json', import.meta.url)), 'utf8');

test('the recorded device\'s link that cannot reach its SMSC is a problem naming the link and its last error', (t) => {
  const health = parseSmppRelayStatus(recordedOutputs('router-round', 'smpp-relay'), { now });
  t.deepEqual(health.problems, ['link carrier to 10.0.2.2:42775 is reconnecting: cannot bind to 10.0.2.2:42775: connect ECONNREFUSED 10.0.2.2:42775']);
  t.deepEqual(health.lines, [
    'mcdebian-smpp-relay.service active since 2026-12-06 23:07:37 UTC (3 min 34 s)',
    'link carrier to 10.0.2.2:42775: reconnecting, health in, queued 0, in flight 0/10',
    'messages: 0 open, 0 parts waiting for a link, 0 receipts awaited, 0 DLR URLs pending',
    'store /var/lib/mcdebian-smpp-relay/messages/smpp-relay.journal: 0 bytes, writable',
  ]);
});

test('a bound link is no problem; the refused one beside it is', (t) => {
  const outputs = recordedOutputs('router-round', 'smpp-relay').map((output) => ({ ...output }));
  outputs[1] = { stdout: twoLinks, stderr: '', code: 0 };
  const health = parseSmppRelayStatus(outputs, { now });
  t.deepEqual(health.problems, ['link backup to 127.0.0.1:9 is reconnecting: cannot bind to 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9']);
  t.regex(health.lines[1]!, /^link carrier to 127\.0\.0\.1:\d+: bound 4 s, health in, queued 0, in flight 0\/10$/);
});

test('a link out of rotation and a store that cannot write are problems', (t) => {
  const status = JSON.parse(twoLinks) as { links: { health: Record<string, unknown> }[]; store: Record<string, unknown> };
  status.links[0]!.health = { state: 'out', failures: 3, lastFailure: 'submit_sm timed out 3 times' };
  status.store = { ...status.store, state: 'degraded', since: '2026-12-06T23:00:00.000Z', lastError: 'ENOSPC: no space left on device', backlog: 4 };
  const outputs = recordedOutputs('router-round', 'smpp-relay').map((output) => ({ ...output }));
  outputs[1] = { stdout: JSON.stringify(status), stderr: '', code: 0 };
  const problems = parseSmppRelayStatus(outputs, { now }).problems;
  t.true(problems.some((problem) => /^link carrier to 127\.0\.0\.1:\d+ is bound but out of rotation: submit_sm timed out 3 times$/.test(problem)), problems.join('\n'));
  t.true(problems.includes('the message store /tmp/mcdebian-relay-FMnbgz/store.journal is not writable since 2026-12-06T23:00:00.000Z: ENOSPC: no space left on device; new messages are refused'), problems.join('\n'));
});

test('an image whose relay has no status mode says the status could not be read, with what the relay said', (t) => {
  const health = parseSmppRelayStatus(recordedOutputs('round-before-health-modes', 'smpp-relay'), { now });
  t.is(health.problems.length, 1);
  t.regex(health.problems[0]!, /^the relay's status could not be read \(exit 64\): unknown command: status/);
});
