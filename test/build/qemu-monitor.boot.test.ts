import test, { type ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import { connect } from 'node:net';
import { join } from 'node:path';
import { sendMonitorCommand } from '../../build/qemu-monitor.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testWithTools } from '../helpers/tools.js';

/** A paused virt machine (-S: no CPU time) with its monitor on a socket, killed when the test ends. */
async function startPausedQemu(t: ExecutionContext): Promise<{ qemu: ResultPromise; monitor: string }> {
  const monitor = join(await makeTempDir(t), 'monitor.sock');
  const qemu = execa('qemu-system-arm', ['-M', 'virt', '-S', '-display', 'none', '-serial', 'none', '-monitor', `unix:${monitor},server=on,wait=off`], { reject: false, stdin: 'ignore' });
  t.teardown(() => { qemu.kill('SIGKILL'); });
  // the socket exists once QEMU has set its chardevs up: wait for it to accept, on a generous deadline
  const deadline = Date.now() + 60_000;
  while (!(await new Promise<boolean>((resolve) => connect(monitor).once('connect', function (this: import('node:net').Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false))))) {
    if (Date.now() > deadline || qemu.exitCode !== null) throw new Error('QEMU\'s monitor socket never accepted');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { qemu, monitor };
}

const QEMU = { 'qemu-system-arm': 'qemu-system-arm' };

testWithTools(QEMU, 'a monitor command returns what QEMU prints for it', async (t) => {
  const { monitor } = await startPausedQemu(t);
  t.regex(await sendMonitorCommand(monitor, 'info status', { timeoutMs: 60_000 }), /VM status: paused \(prelaunch\)/);
  t.is(await sendMonitorCommand(monitor, 'system_powerdown', { timeoutMs: 60_000 }).then((output) => output.includes('unknown command')), false);
});

testWithTools(QEMU, 'quit on the monitor ends QEMU', async (t) => {
  const { qemu, monitor } = await startPausedQemu(t);
  await sendMonitorCommand(monitor, 'quit', { timeoutMs: 60_000 });
  t.is((await qemu).exitCode, 0);
});

test('a monitor socket nobody serves is a user error naming it', async (t) => {
  const monitor = join(await makeTempDir(t), 'gone.sock');
  const error = await t.throwsAsync(sendMonitorCommand(monitor, 'quit', { timeoutMs: 60_000 }));
  t.regex(error!.message, new RegExp(`cannot reach QEMU's monitor at ${monitor}: .*ENOENT`));
});
