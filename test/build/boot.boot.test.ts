/** Ctrl-A X on the terminal of a real QEMU, as `mcdebian boot` starts it. */
import { execa } from 'execa';
import { join } from 'node:path';
import { armBootArgs, overlayArgs } from '../../build/boot.js';
import type { ConsoleOptions } from '../../build/qemu-console.js';
import { freePort } from '../helpers/guest.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testWithTools } from '../helpers/tools.js';

/**
 * The armhf guest as `mcdebian boot` starts it, on a blank flash stand-in (u-boot-qemu finds no
 * script and idles at its prompt): Ctrl-A X on QEMU's stdin must end QEMU, whatever sockets the
 * console and the monitor were given. Before the fix, --monitor left the console on a plain
 * stdio with no escapes, and QEMU ran on.
 */
const ctrlAXQuits = (console: ConsoleOptions & { mode: 'terminal' }) => async (t: import('ava').ExecutionContext) => {
  t.timeout(120_000);
  const dir = await makeTempDir(t);
  await execa('truncate', ['-s', '64M', join(dir, 'flash.img'), join(dir, 'usb.img')]);
  await execa('qemu-img', overlayArgs(join(dir, 'usb.img'), join(dir, 'usb.qcow2')).slice(1));
  const sockets = { monitor: console.monitor && join(dir, console.monitor), serialSocket: console.serialSocket && join(dir, console.serialSocket) };
  const [file, ...args] = armBootArgs({ overlay: join(dir, 'usb.qcow2'), flashDisk: join(dir, 'flash.img'), sshPort: await freePort(), console: { ...console, ...sockets } });
  const qemu = execa(file!, args, { input: '\x01x', reject: false, timeout: 90_000 });
  const result = await qemu;
  t.false(result.timedOut, `QEMU did not quit on Ctrl-A X:\n${String(result.stdout).slice(-1000)}`);
  t.is(result.exitCode, 0, String(result.stderr));
};
const QEMU_TOOLS = { 'qemu-system-arm': 'qemu-system-arm', 'qemu-img': 'qemu-utils' };
testWithTools(QEMU_TOOLS, 'Ctrl-A X on the terminal quits the armhf guest', ctrlAXQuits({ mode: 'terminal' }));
testWithTools(QEMU_TOOLS, 'Ctrl-A X on the terminal quits the armhf guest booted with --monitor', ctrlAXQuits({ mode: 'terminal', monitor: 'monitor.sock' }));
testWithTools(QEMU_TOOLS, 'Ctrl-A X on the terminal quits the armhf guest booted with --serial-socket and --monitor', ctrlAXQuits({ mode: 'terminal', monitor: 'monitor.sock', serialSocket: 'console.sock' }));

