/**
 * The health wait after the reboot, against an SSH server on the loopback that answers the
 * health probe as a device does through its reboot: first from the old boot, then booting with
 * units starting, then done. Each poll is 5 s, so each test takes tens of seconds.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { getBoard } from '../../board/index.js';
import { createMemoryLogger } from '../../build/core/log.js';
import { fingerprint, type DeviceAddress, type HostKeyPin } from '../../flash/device-session.js';
import { HEALTH_PROBE_SCRIPT, type WaitStatus } from '../../flash/health-probe.js';
import { waitForHealth, type HealthWaitOptions } from '../../flash/health-wait.js';
import type { FlashPlan } from '../../flash/preflight.js';
import { startFakeSshServer, type ExecReply } from '../helpers/fake-ssh-server.js';
import { freePort } from '../helpers/guest.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const board = getBoard('qemu-armhf');
const plan = { activeSlot: 1, targetSlot: 2 } as FlashPlan;
const OLD_BOOT = 'old-boot-0000';
const NEW_BOOT = 'new-boot-1111';

function probeAnswer(bootId: string, state: string, jobs: string[] = []): ExecReply {
  const cmdline = `console=ttyS0 root=${board.kernelSlots![1]!.stockRoot} ro`;
  return { code: 0, stdout: ['== boot_id', bootId, '== state', state, '== jobs', ...jobs, '== failed', '== cmdline', cmdline, '== bootcount', '{"count": 0}', ''].join('\n') };
}

/** A key pair and a loopback SSH server answering the probe with `answers`, one per probe, the last repeated. */
async function device(t: ExecutionContext, answers: ExecReply[], options: { letIn?: boolean } = {}) {
  const dir = await makeTempDir(t);
  await mkdir(join(dir, 'keys'));
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'keys/admin')]);
  const publicLine = (await readFile(join(dir, 'keys/admin.pub'), 'utf8')).trim();
  let probes = 0;
  const server = await startFakeSshServer({
    authorizedKeys: options.letIn === false ? [] : [publicLine],
    exec: (command) => (command === HEALTH_PROBE_SCRIPT ? answers[Math.min(probes++, answers.length - 1)]! : { code: 1, stderr: 'unexpected' }),
  });
  t.teardown(() => server.close());
  await writeFile(join(dir, 'known_hosts'), server.knownHostsLine);
  const address: DeviceAddress = { host: '127.0.0.1', port: server.port, user: 'root', identity: join(dir, 'keys/admin'), knownHosts: join(dir, 'known_hosts') };
  const pin: HostKeyPin = { base64: server.hostKeyBase64, fingerprint: fingerprint(Buffer.from(server.hostKeyBase64, 'base64')) };
  return { address, pin };
}

async function wait(address: DeviceAddress, pin: HostKeyPin, overrides: Partial<HealthWaitOptions> = {}) {
  const seen: { status: WaitStatus; waitedMs: number }[] = [];
  const health = await waitForHealth({
    board, address, plan, pin, oldBootId: OLD_BOOT, timeoutMs: 120_000, rootfs: false, logger: createMemoryLogger(),
    onWait: (status, waitedMs) => seen.push({ status, waitedMs }), ...overrides,
  });
  return { health, seen };
}

test('the wait says the reboot, the old boot, then the units starting, and judges the boot once systemd is done', async (t) => {
  t.timeout(5 * 60_000);
  const { address, pin } = await device(t, [
    probeAnswer(OLD_BOOT, 'running'),
    probeAnswer(NEW_BOOT, 'starting', ['120 mcdebian-boot-health.service start waiting', ' 98 ssh.service start running']),
    probeAnswer(NEW_BOOT, 'starting', ['120 mcdebian-boot-health.service start running']),
    probeAnswer(NEW_BOOT, 'running'),
  ]);
  const { health, seen } = await wait(address, pin);
  t.is(health.outcome, 'healthy', health.message);
  t.deepEqual(seen.map(({ status }) => status), [
    { kind: 'reboot' },
    { kind: 'old-boot' },
    { kind: 'booting', systemState: 'starting', jobs: [{ unit: 'mcdebian-boot-health.service', state: 'waiting' }, { unit: 'ssh.service', state: 'running' }] },
    { kind: 'booting', systemState: 'starting', jobs: [{ unit: 'mcdebian-boot-health.service', state: 'running' }] },
  ]);
  t.true(seen.every((entry, i) => i === 0 || entry.waitedMs >= seen[i - 1]!.waitedMs), 'the waited time only grows');
});

test('a device that lets none of the keys in is waited for, and said so, until the deadline', async (t) => {
  t.timeout(5 * 60_000);
  const { address, pin } = await device(t, [probeAnswer(NEW_BOOT, 'running')], { letIn: false });
  const { health, seen } = await wait(address, pin, { timeoutMs: 12_000 });
  t.is(health.outcome, 'no-answer');
  t.true(seen.length >= 2);
  t.deepEqual(seen.slice(1).map(({ status }) => status.kind), seen.slice(1).map(() => 'keys-refused'));
});

test('an address where nothing listens is waited for, with the reason', async (t) => {
  t.timeout(5 * 60_000);
  const { address, pin } = await device(t, []);
  const { health, seen } = await wait({ ...address, port: await freePort() }, pin, { timeoutMs: 12_000 });
  t.is(health.outcome, 'no-answer');
  const reasons = seen.slice(1).map(({ status }) => (status.kind === 'no-answer' ? status.reason : status.kind));
  t.true(reasons.length >= 1 && reasons.every((reason) => reason.includes('ECONNREFUSED')), reasons.join('; '));
});
