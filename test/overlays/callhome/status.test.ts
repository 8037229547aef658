/** callhome's status parse on the outputs recorded from a booted qemu-armhf, and on what a tunnel that is down prints. */
import test from 'ava';
import { findPeer, parseCallhomeStatus } from '../../../overlays/callhome/status.js';
import type { DeviceOutput } from '../../../overlays/overlay.js';
import { recordedOutputs } from '../../helpers/status-fixtures.js';

const recorded = () => recordedOutputs('router-round', 'callhome').map((output) => ({ ...output }));
const now = 1_796_598_671;

test('the recorded tunnel is connected, with its unit\'s start, restarts and ssh\'s last message', (t) => {
  const health = parseCallhomeStatus(recorded(), { now });
  t.deepEqual(health.problems, []);
  t.like(health.data, {
    managedHost: { user: 'root', host: '10.0.2.2', port: 42022 },
    connected: true,
    peer: '10.0.2.2:42022',
    unit: { activeState: 'active', restarts: 7, mainPid: 440, activeSince: 1_796_598_434 },
    lastMessage: { at: 1_796_598_412, text: 'ssh: connect to host 10.0.2.2 port 42022: Network is unreachable' },
  });
  t.deepEqual(health.lines, [
    'tunnel to root@10.0.2.2:42022: connected to 10.0.2.2:42022; mcdebian-callhome.service active since 2026-12-06 23:07:14 UTC (3 min 57 s), 7 restarts',
    'ssh\'s last message, 2026-12-06T23:06:52Z: ssh: connect to host 10.0.2.2 port 42022: Network is unreachable',
  ]);
});

test('an active unit whose ssh holds no connection is a problem: still trying, with ssh\'s last message', (t) => {
  const outputs = recorded();
  outputs[2] = { stdout: outputs[2]!.stdout.split('\n').filter((line) => !line.includes('"ssh"')).join('\n'), stderr: '', code: 0 };
  t.deepEqual(parseCallhomeStatus(outputs, { now }).problems, [
    'the tunnel to 10.0.2.2:42022 is not connected: ssh is still trying (mcdebian-callhome.service active since 2026-12-06 23:07:14 UTC (3 min 57 s), 7 restarts); ssh\'s last message: ssh: connect to host 10.0.2.2 port 42022: Network is unreachable',
  ]);
});

test('a unit waiting to restart is a tunnel that is down', (t) => {
  const outputs = recorded();
  outputs[0] = { stdout: 'MainPID=0\nResult=exit-code\nNRestarts=12\nId=mcdebian-callhome.service\nLoadState=loaded\nActiveState=activating\nSubState=auto-restart\nActiveEnterTimestamp=@1796598434\n', stderr: '', code: 0 };
  const health = parseCallhomeStatus(outputs, { now });
  t.deepEqual(health.problems, ['the tunnel to 10.0.2.2:42022 is down: mcdebian-callhome.service is activating/auto-restart (last run: exit-code), 12 restarts; ssh\'s last message: ssh: connect to host 10.0.2.2 port 42022: Network is unreachable']);
  t.like(health.data, { connected: false });
});

test('logged in as another user than root, the connection is not visible and not counted as a problem', (t) => {
  const outputs: DeviceOutput[] = recorded();
  outputs[2] = { stdout: '', stderr: '', code: 77 };
  const health = parseCallhomeStatus(outputs, { now });
  t.deepEqual(health.problems, []);
  t.regex(health.lines[0]!, /connection not visible \(log in as root to see it\)/);
});

test('the peer is the connection of the main PID, not of another process', (t) => {
  const ss = '0 0 10.0.2.15:22 10.0.2.2:59814 users:(("sshd-session",pid=4400,fd=7))\n0 0 10.0.2.15:35898 10.0.2.2:42022 users:(("ssh",pid=440,fd=3))\n';
  t.is(findPeer(ss, 440), '10.0.2.2:42022');
  t.is(findPeer(ss, 44), undefined);
  t.is(findPeer(ss, 0), undefined);
});
