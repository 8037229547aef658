/**
 * Opens U-Boot's console as one byte stream: a serial line (`/dev/ttyUSB0`, set raw with stty)
 * or a socket (`unix:PATH`, `tcp:HOST:PORT`), as QEMU offers its console with
 * `-serial unix:PATH,server=on,wait=off` (mcdebian boot --serial-socket).
 */
import { constants, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { ReadStream, WriteStream } from 'node:tty';
import { UserError } from '../build/core/errors.js';
import { runCommand } from '../build/core/exec.js';

export type ConsoleAddress =
  | { kind: 'serial'; device: string }
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number };

/** `unix:PATH`, `tcp:HOST:PORT`, or a serial device path. */
export function parseConsoleAddress(text: string): ConsoleAddress {
  if (text.startsWith('unix:')) return { kind: 'unix', path: text.slice('unix:'.length) };
  const tcp = /^tcp:(.+):(\d{1,5})$/.exec(text);
  if (tcp) return { kind: 'tcp', host: tcp[1]!, port: Number(tcp[2]) };
  if (text.startsWith('tcp:')) throw new UserError(`--serial ${text}: expected tcp:HOST:PORT`);
  return { kind: 'serial', device: text };
}

/** 8N1 raw at the console's speed, no echo from the host's line discipline. */
export function sttyArgs(device: string, baud: number): string[] {
  return ['stty', '-F', device, String(baud), 'raw', '-echo'];
}

/** Opens the console; sockets are retried for a while, because QEMU may still be starting. */
export async function openConsoleStream(address: ConsoleAddress, options: { baud: number; connectTimeoutMs?: number }): Promise<Duplex> {
  if (address.kind === 'serial') {
    await runCommand(sttyArgs(address.device, options.baud), { debianPackage: 'coreutils' });
    let fd: number;
    try {
      fd = openSync(address.device, constants.O_RDWR | constants.O_NOCTTY);
    } catch (error) {
      throw new UserError(`cannot open ${address.device}: ${(error as Error).message}`, { hint: 'is the USB serial adapter plugged in, and are you root or in the dialout group?' });
    }
    return joinTty(fd);
  }
  const deadline = Date.now() + (options.connectTimeoutMs ?? 10_000);
  for (;;) {
    try {
      return await connectOnce(address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (Date.now() > deadline || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) {
        const where = address.kind === 'unix' ? address.path : `${address.host}:${address.port}`;
        throw new UserError(`cannot connect to the console at ${where}: ${(error as Error).message}`, { hint: 'is QEMU running with -serial unix:PATH,server=on (mcdebian boot --serial-socket PATH)?' });
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

function connectOnce(address: Exclude<ConsoleAddress, { kind: 'serial' }>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = address.kind === 'unix' ? connect(address.path) : connect(address.port, address.host);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** A tty fd as one duplex; libuv's tty handles read without holding a thread-pool thread. */
function joinTty(fd: number): Duplex {
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      output.write(chunk, done);
    },
    destroy(error, done) {
      input.destroy();
      output.destroy();
      done(error);
    },
  });
  input.on('data', (chunk: Buffer) => duplex.push(chunk));
  input.on('end', () => duplex.push(null));
  input.on('error', (error) => duplex.destroy(error));
  return duplex;
}
