/**
 * `mcdebian boot` as a user runs it: the host port checks, --detach, --status and --stop with a
 * stand-in for QEMU (test/helpers/fake-qemu.ts) on a build of empty files. The real image,
 * detached: boot.boot.test.ts.
 */
import test, { type ExecutionContext } from 'ava';
import { createSocket } from 'node:dgram';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { probeHostPort } from '../../../build/host-ports.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { makeFakeQemu } from '../../helpers/fake-qemu.js';
import { freePort } from '../../helpers/guest.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';
import { testWithTools } from '../../helpers/tools.js';

/** What preparing the stand-in's disks runs for real. */
const DISK_TOOLS = { 'qemu-img': 'qemu-utils', mkimage: 'u-boot-tools', 'mkfs.fat': 'dosfstools', mcopy: 'mtools', sfdisk: 'fdisk' };

interface Bench {
  dir: string;
  run(args: string[], mode?: string): Promise<CliResult>;
}

/** A directory with an empty qemu-armhf build, its own run directory root and the fake QEMU first on PATH. */
async function makeBench(t: ExecutionContext): Promise<Bench> {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'out/qemu-armhf/kernel.uimg': '', 'out/qemu-armhf/usb.img': '' });
  const bin = await makeFakeQemu(dir);
  const env = { XDG_CACHE_HOME: join(dir, 'cache'), XDG_RUNTIME_DIR: join(dir, 'run'), PATH: `${bin}:${process.env.PATH ?? ''}` };
  // a guest left running by a failed assertion would hold its ports: stop it, whatever happened
  t.teardown(async () => { await runCli(['boot', '--stop', '--board', 'qemu-armhf', '--grace', '0'], { cwd: dir, env }); });
  return { dir, run: (args, mode = 'ready') => runCli(args, { cwd: dir, env: { ...env, FAKE_QEMU_MODE: mode } }) };
}

async function holdTcp(t: ExecutionContext): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

const gone = (path: string) => stat(path).then(() => false, () => true);

test('an --ssh-port the test holds is refused before QEMU starts, naming the flag, the port and the holder', async (t) => {
  const bench = await makeBench(t);
  const port = await holdTcp(t);
  const result = await bench.run(['boot', '--board', 'qemu-armhf', '--ssh-port', String(port)]);
  t.is(result.exitCode, 2, result.stderr);
  t.regex(result.stderr, new RegExp(`error: --ssh-port ${port}: tcp port ${port} on 127\\.0\\.0\\.1 is already in use by \\S+ \\(pid ${process.pid}\\)`));
  t.regex(result.stderr, /hint: choose a free host port with --ssh-port/);
  t.notRegex(result.stderr, /Could not set up host forwarding rule/);
});

test('a --link whose local UDP port is taken is refused before QEMU starts, naming the flag', async (t) => {
  const bench = await makeBench(t);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const taken = socket.address().port;
  const result = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(await freePort()), '--link', `udp:${taken}:${taken === 65535 ? 1 : taken + 1}`]);
  t.is(result.exitCode, 2, result.stderr);
  t.regex(result.stderr, new RegExp(`error: --link udp:${taken}:\\d+: udp port ${taken} on 127\\.0\\.0\\.1 is already in use`));
  t.regex(result.stderr, /hint: choose a free host port with --link/);
  t.true(await gone(join(bench.dir, 'run', 'mcdebian', 'qemu-armhf')), 'no run directory is left');
});

test('every taken --forward is named at once, and one that repeats the SSH port too', async (t) => {
  const bench = await makeBench(t);
  const [taken, ssh] = [await holdTcp(t), await freePort()];
  const result = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(ssh), '--forward', `tcp:${taken}:8053`, '--forward', `tcp:${ssh}:80`]);
  t.is(result.exitCode, 2, result.stderr);
  t.regex(result.stderr, /error: 2 host ports cannot be forwarded:/);
  t.regex(result.stderr, new RegExp(`--forward tcp:${ssh}:80: tcp port ${ssh} on 127\\.0\\.0\\.1 is the same host port as --ssh-port ${ssh}`));
  t.regex(result.stderr, new RegExp(`--forward tcp:${taken}:8053: tcp port ${taken} on 127\\.0\\.0\\.1 is already in use`));
  t.true(await gone(join(bench.dir, 'run', 'mcdebian', 'qemu-armhf')), 'no run directory is left');
});

testWithTools(DISK_TOOLS, '--detach returns once SSH answers and prints the ports; --status lists the guest; --stop powers it off and removes its run directory', async (t) => {
  t.timeout(5 * 60_000);
  const bench = await makeBench(t);
  const [ssh, extra] = [await freePort(), await freePort()];
  const [linkLocal, linkPeer] = [await freePort(), await freePort()];
  const started = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(ssh), '--forward', `tcp:${extra}:8053`, '--link', `udp:${linkLocal}:${linkPeer},mac=52:54:00:00:00:01`, '--json']);
  t.is(started.exitCode, 0, started.stderr);
  const guest = JSON.parse(started.stdout) as { board: string; pid: number; ssh: { port: number; banner: string }; forwards: { hostPort: number }[]; links: unknown[]; runDir: string; consoleLog: string };
  t.like(guest, { board: 'qemu-armhf', ssh: { port: ssh, banner: 'SSH-2.0-FakeQEMU_1.0' } });
  t.deepEqual(guest.forwards.map((forward) => forward.hostPort), [extra]);
  t.deepEqual(guest.links, [{ localPort: linkLocal, peerPort: linkPeer, mac: '52:54:00:00:00:01' }]);
  t.is(guest.runDir, join(bench.dir, 'run', 'mcdebian', 'qemu-armhf'));
  t.regex(await readFile(guest.consoleLog, 'utf8'), /boot_part 1/);
  t.is((await probeHostPort({ protocol: 'tcp', port: ssh }))?.code, 'EADDRINUSE', 'QEMU runs on after boot --detach exited');

  const status = await bench.run(['boot', '--status', '--json']);
  t.like(JSON.parse(status.stdout), [{ board: 'qemu-armhf', state: 'running', pid: guest.pid, sshPort: ssh, links: [{ localPort: linkLocal, peerPort: linkPeer, mac: '52:54:00:00:00:01' }] }]);
  t.regex((await bench.run(['boot', '--status'])).stdout, new RegExp(`qemu-armhf\\s+running\\s+${guest.pid}\\s+127\\.0\\.0\\.1:${ssh}\\s+tcp:${extra}->8053`));

  const stopped = await bench.run(['boot', '--stop', '--board', 'qemu-armhf', '--json']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.like(JSON.parse(stopped.stdout), { board: 'qemu-armhf', pid: guest.pid, outcome: 'powered-off' });
  t.true(await gone(guest.runDir));
  t.is(await probeHostPort({ protocol: 'tcp', port: ssh }), undefined, 'the forwarded port is free again');
});

testWithTools(DISK_TOOLS, 'a second --detach of a running board is refused, naming its QEMU and how to stop it, and a port it holds names it too', async (t) => {
  t.timeout(5 * 60_000);
  const bench = await makeBench(t);
  const ssh = await freePort();
  const first = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(ssh), '--json']);
  t.is(first.exitCode, 0, first.stderr);
  const { pid } = JSON.parse(first.stdout) as { pid: number };
  const second = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(await freePort())]);
  t.is(second.exitCode, 1, second.stderr);
  t.regex(second.stderr, new RegExp(`error: qemu-armhf already runs in the background \\(QEMU pid ${pid}, SSH on 127\\.0\\.0\\.1:${ssh}\\)\\nhint: stop it with: mcdebian boot --stop --board qemu-armhf`));
  const attached = await bench.run(['boot', '--board', 'qemu-armhf', '--ssh-port', String(ssh)]);
  t.is(attached.exitCode, 2, attached.stderr);
  t.regex(attached.stderr, /hint: the detached qemu-armhf guest holds it: mcdebian boot --stop --board qemu-armhf/);
});

testWithTools(DISK_TOOLS, 'a guest that ignores the power button is quit after --grace, through the monitor socket --monitor named', async (t) => {
  t.timeout(5 * 60_000);
  const bench = await makeBench(t);
  const started = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(await freePort()), '--monitor', 'my-monitor.sock', '--json'], 'deaf');
  t.is(started.exitCode, 0, started.stderr);
  t.is((JSON.parse(started.stdout) as { monitor: string }).monitor, join(bench.dir, 'my-monitor.sock'), 'recorded absolute, for a --stop from anywhere');
  const stopped = await bench.run(['boot', '--stop', '--board', 'qemu-armhf', '--grace', '1']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.regex(stopped.stdout, /^qemu-armhf: did not power off in time, QEMU quit; removed /);
  t.regex(stopped.stderr, /did not power off within 1 s; quitting QEMU/);
});

testWithTools(DISK_TOOLS, '--detach fails with QEMU\'s own words when QEMU exits first, and leaves no run directory', async (t) => {
  t.timeout(5 * 60_000);
  const bench = await makeBench(t);
  const result = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(await freePort())], 'fails');
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, /error: QEMU exited \(code 1\) before SSH answered[\s\S]*QEMU said:\n {2}\| qemu-system-arm: -netdev user[^\n]*Could not set up host forwarding rule/);
  t.regex(result.stderr, /hint: to watch the console, boot it attached: mcdebian boot --board qemu-armhf/);
  t.true(await gone(join(bench.dir, 'run', 'mcdebian', 'qemu-armhf')));
});

testWithTools(DISK_TOOLS, '--detach gives up after --ready-timeout, stops QEMU and shows the console\'s last lines', async (t) => {
  t.timeout(5 * 60_000);
  const bench = await makeBench(t);
  const ssh = await freePort();
  const result = await bench.run(['boot', '--detach', '--board', 'qemu-armhf', '--ssh-port', String(ssh), '--ready-timeout', '1'], 'silent');
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, new RegExp(`error: SSH did not answer on 127\\.0\\.0\\.1:${ssh} within 1 s; the guest was stopped\\nthe console's last lines:\\n {2}\\| U-Boot 2025\\.01 \\(fake\\)\\n {2}\\| McDebian stand-in: boot_part 1`));
  t.true(await gone(join(bench.dir, 'run', 'mcdebian', 'qemu-armhf')));
  t.is(await probeHostPort({ protocol: 'tcp', port: ssh }), undefined, 'QEMU is gone and its port free');
});

test('--stop of a board with no guest says so and points at --status', async (t) => {
  const bench = await makeBench(t);
  const result = await bench.run(['boot', '--stop', '--board', 'qemu-armhf']);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /error: no qemu-armhf guest runs in the background \(nothing in .*\)\nhint: mcdebian boot --status lists/);
});

test('--status with no guest says how to start one; --json gives an empty list', async (t) => {
  const bench = await makeBench(t);
  t.regex((await bench.run(['boot', '--status'])).stdout, /^no guests run in the background \(mcdebian boot --detach starts one\)/);
  t.deepEqual(JSON.parse((await bench.run(['boot', '--status', '--json'])).stdout), []);
});

const usage = test.macro({
  async exec(t, args: string[], stderr: RegExp) {
    const bench = await makeBench(t);
    const result = await bench.run(['boot', ...args]);
    t.is(result.exitCode, 2, result.stderr);
    t.regex(result.stderr, stderr);
  },
  title: (_, args: string[]) => `boot ${args.join(' ')} is a usage error`,
});
test(usage, ['--stop', '--detach', '--board', 'qemu-armhf'], /error: --detach and --stop cannot be combined/);
test(usage, ['--board', 'qemu-armhf', '--grace', '5'], /error: --grace does not go with an attached boot; boot --stop takes it/);
test(usage, ['--stop', '--board', 'qemu-armhf', '--forward', 'tcp:1:2'], /error: --forward does not go with --stop; boot and boot --detach take it/);
test(usage, ['--stop', '--board', 'qemu-armhf', '--link', 'udp:1:2'], /error: --link does not go with --stop; boot and boot --detach take it/);
test(usage, ['--stop'], /error: boot --stop needs --board ID or -c FILE/);
test(usage, ['--status', '--board', 'qemu-armhf'], /error: --status lists the guests of every board; it takes no --board or -c/);
test(usage, ['--detach', '--board', 'qemu-armhf', '--ready-timeout', 'soon'], /error: --ready-timeout must be a whole number from 1 to 86400, not "soon"/);
