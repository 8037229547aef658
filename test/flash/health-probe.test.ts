import test from 'ava';
import { describeWait, formatWaitLine, HEALTH_PROBE_SCRIPT, isBooting, parseHealthProbe, type WaitStatus } from '../../flash/health-probe.js';

/** The probe's answer as a device in the middle of its boot gives it (systemctl list-jobs --no-legend: JOB UNIT TYPE STATE). */
const BOOTING = [
  '== boot_id', '6f1c0a8e-3b7d-4a52-9e0f-2d5b8c7a1e44',
  '== state', 'starting',
  '== jobs',
  '120 mcdebian-boot-health.service start waiting',
  ' 98 ssh.service                    start running',
  '  1 multi-user.target              start waiting',
  '101 systemd-timesyncd.service      start running',
  '== failed',
  '== cmdline', 'console=ttyS0,115200 root=/dev/mtdblock5 ro rootdelay=1 rootfstype=jffs2',
  '== bootcount', '{"count": 1, "records": 3}',
  '',
].join('\n');

test('the probe asks for the boot, systemd\'s state and jobs, the failed units, the command line and the boot counter in one command', (t) => {
  for (const section of ['boot_id', 'state', 'jobs', 'failed', 'cmdline', 'bootcount']) t.true(HEALTH_PROBE_SCRIPT.includes(`echo "== ${section}"`), section);
  t.true(HEALTH_PROBE_SCRIPT.includes('systemctl is-system-running\n'), 'without --wait: the wait polls, and says what it waits for');
});

test('a booting device\'s answer is read into its boot id, state, jobs, command line and counter', (t) => {
  t.deepEqual(parseHealthProbe(BOOTING), {
    bootId: '6f1c0a8e-3b7d-4a52-9e0f-2d5b8c7a1e44',
    systemState: 'starting',
    jobs: [
      { unit: 'mcdebian-boot-health.service', state: 'waiting' },
      { unit: 'ssh.service', state: 'running' },
      { unit: 'multi-user.target', state: 'waiting' },
      { unit: 'systemd-timesyncd.service', state: 'running' },
    ],
    failedUnits: [],
    cmdline: 'console=ttyS0,115200 root=/dev/mtdblock5 ro rootdelay=1 rootfstype=jffs2',
    bootCount: 1,
  });
});

test('a degraded device\'s failed units are read; a silent systemctl is an unknown state', (t) => {
  const probe = parseHealthProbe('== boot_id\nb\n== state\ndegraded\n== jobs\n== failed\nnamed.service loaded failed failed BIND\nkannel.service loaded failed failed Kannel\n== cmdline\nx\n== bootcount\n');
  t.deepEqual([probe.systemState, probe.failedUnits, probe.bootCount], ['degraded', ['named.service', 'kannel.service'], undefined]);
  t.is(parseHealthProbe('== boot_id\nb\n== state\n').systemState, 'unknown');
});

test('initializing and starting are a boot still going; running, degraded and the rest are a boot done', (t) => {
  t.deepEqual(['initializing', 'starting', 'running', 'degraded', 'maintenance', 'unknown'].map(isBooting), [true, true, false, false, false, false]);
});

const describes = test.macro((t, status: WaitStatus, expected: string) => {
  t.is(describeWait(status, '192.168.1.1'), expected);
});
test('rebooting', describes, { kind: 'reboot' }, '192.168.1.1 is rebooting');
test('no answer, with the reason', describes, { kind: 'no-answer', reason: 'ECONNREFUSED 192.168.1.1:22' }, '192.168.1.1 does not answer yet (ECONNREFUSED 192.168.1.1:22)');
test('the old boot', describes, { kind: 'old-boot' }, '192.168.1.1 answers from the boot before the reboot: the reboot has not begun');
test('keys refused', describes, { kind: 'keys-refused' }, '192.168.1.1 answers, but its SSH lets none of the keys in');
test('booting, naming the units starting and counting those waiting', describes, { kind: 'booting', systemState: 'starting', jobs: parseHealthProbe(BOOTING).jobs },
  '192.168.1.1 is booting (systemctl is-system-running: starting): starting ssh.service, systemd-timesyncd.service; 2 more units waiting');
test('booting with many units names four', describes, {
  kind: 'booting', systemState: 'initializing', jobs: ['a', 'b', 'c', 'd', 'e', 'f'].map((unit) => ({ unit: `${unit}.service`, state: 'running' })),
}, '192.168.1.1 is booting (systemctl is-system-running: initializing): starting a.service, b.service, c.service, d.service, +2 more');
test('booting with no job left', describes, { kind: 'booting', systemState: 'starting', jobs: [] }, '192.168.1.1 is booting (systemctl is-system-running: starting): no jobs left');

test('a wait line says how long of how long, then what', (t) => {
  t.is(formatWaitLine('192.168.1.1 is rebooting', { waitedMs: 65_000, timeoutMs: 600_000 }), 'waiting for health, 1 min 05 s of 10 min 00 s: 192.168.1.1 is rebooting');
});
