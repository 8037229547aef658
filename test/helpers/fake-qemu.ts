/**
 * A stand-in for qemu-system-arm on PATH, for tests of `boot --detach` and `--stop` that need
 * no image: it reads the argv `mcdebian boot` gives QEMU and does what QEMU's user network,
 * monitor and console chardev do with it. FAKE_QEMU_MODE picks its behaviour:
 * - `ready`: an SSH banner on the forwarded SSH port; `system_powerdown` on the monitor ends it
 * - `deaf`: as ready, but a guest that ignores the power button (only `quit` ends it)
 * - `silent`: accepts on the SSH port and never speaks, as QEMU does while the guest boots
 * - `fails`: QEMU's own error for a port it cannot forward, exit 1
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PROGRAM = String.raw`
const { appendFileSync } = require('node:fs');
const net = require('node:net');
const args = process.argv.slice(2);
const after = (flag) => args[args.indexOf(flag) + 1] ?? '';
const mode = process.env.FAKE_QEMU_MODE ?? 'ready';
const sshPort = Number(/hostfwd=tcp:127\.0\.0\.1:(\d+)-:22/.exec(after('-netdev'))?.[1]);
const monitor = /^unix:([^,]+)/.exec(after('-monitor'))?.[1];
const consoleLog = /logfile=([^,]+)/.exec(after('-chardev'))?.[1];
if (mode === 'fails') {
  process.stderr.write("qemu-system-arm: -netdev " + after('-netdev') + ": Could not set up host forwarding rule 'tcp:127.0.0.1:" + sshPort + "-:22'\n");
  process.exit(1);
}
if (consoleLog) appendFileSync(consoleLog, 'U-Boot 2025.01 (fake)\r\nMcDebian stand-in: boot_part 1, boot count 1: run nandboot\r\n');
net.createServer((socket) => {
  socket.on('error', () => {});
  if (mode !== 'silent') socket.end('SSH-2.0-FakeQEMU_1.0\r\n');
}).listen(sshPort, '127.0.0.1');
net.createServer((socket) => {
  socket.on('error', () => {});
  socket.write("QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ");
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    const command = text.trim();
    appendFileSync(monitor + '.log', command + '\n');
    if (command === 'quit') process.exit(0);
    socket.write(command + '\r\n(qemu) ');
    if (command === 'system_powerdown' && mode !== 'deaf') setTimeout(() => process.exit(0), 100);
  });
}).listen(monitor);
`;

/** Writes `qemu-system-arm` into `<dir>/bin` and returns that directory, for the front of PATH. */
export async function makeFakeQemu(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const file = join(bin, 'qemu-system-arm');
  await writeFile(file, `#!${process.execPath}\n${PROGRAM}`);
  await chmod(file, 0o755);
  return bin;
}
