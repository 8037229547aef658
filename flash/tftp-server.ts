/**
 * The TFTP server `mcdebian flash tftp` runs for the duration of a flash: Debian's tftpd-hpa
 * (`in.tftpd`) in the foreground, chrooted to a directory holding only what U-Boot fetches. It
 * negotiates blksize and tsize (RFC 2348/2349); it has no windowsize (RFC 7440), so U-Boot's
 * tftpwindowsize changes nothing against it.
 *
 * U-Boot sends to port 69 (this u-boot-qemu has no tftpdstp), which only root may bind. The
 * address is tried first with a socket of our own, so a refusal is reported with its reason:
 * in.tftpd logs only to syslog. Once started, the server is asked for the image, so a directory
 * that tftpd's user `nobody` cannot read fails here and not in the middle of the flash.
 */
import { createSocket } from 'node:dgram';
import { access, constants } from 'node:fs/promises';
import { execa, type ResultPromise } from 'execa';
import { UserError } from '../build/core/errors.js';
import { findExecutable } from '../build/core/exec.js';

export const TFTP_PORT = 69;

export interface TftpServerOptions {
  directory: string;
  address: string;
  port?: number;
  /** Largest block the server grants. */
  blockSize: number;
}

export function tftpdArgs(options: TftpServerOptions): string[] {
  return [
    'in.tftpd', '--foreground', '--ipv4', '--secure',
    '--address', `${options.address}:${options.port ?? TFTP_PORT}`,
    '--blocksize', String(options.blockSize),
    '--verbose', options.directory,
  ];
}

export interface TftpServer {
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts in.tftpd and returns once it has served the first block of `probeFile`. */
export async function startTftpServer(options: TftpServerOptions & { probeFile: string }): Promise<TftpServer> {
  const port = options.port ?? TFTP_PORT;
  await checkBindable(options.address, port);
  const [program, ...args] = tftpdArgs(options);
  const path = (await findExecutable(program!)) ?? (await access('/usr/sbin/in.tftpd', constants.X_OK).then(() => '/usr/sbin/in.tftpd', () => undefined));
  if (!path) throw new UserError('in.tftpd not found', { hint: 'install the Debian package tftpd-hpa: apt-get install tftpd-hpa (its own service is not needed: systemctl disable --now tftpd-hpa)' });
  const child = execa(path, args, { reject: false, stdin: 'ignore', cleanup: true });
  const stop = async () => {
    child.kill('SIGTERM');
    await child;
  };
  try {
    await Promise.race([probeTftp(options.address === '0.0.0.0' ? '127.0.0.1' : options.address, port, options.probeFile), exited(child)]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: options.address, port, stop };
}

async function exited(child: ResultPromise): Promise<never> {
  const result = await child;
  throw new UserError(`in.tftpd exited at once (${result.signal ?? `code ${result.exitCode}`})${result.stderr ? `: ${String(result.stderr).trim()}` : ''}`, {
    hint: 'it logs to syslog: journalctl -t in.tftpd',
  });
}

/** Binds the address ourselves for a moment, to say why in.tftpd could not. */
export async function checkBindable(address: string, port: number): Promise<void> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => resolve());
    });
  } catch (error) {
    throw bindError(address, port, (error as NodeJS.ErrnoException).code);
  } finally {
    socket.close();
  }
}

function bindError(address: string, port: number, code: string | undefined): UserError {
  const where = `${address}:${port}`;
  if (code === 'EACCES') {
    return new UserError(`cannot serve TFTP on ${where}: ports below 1024 need root`, { hint: 'run mcdebian flash tftp as root (sudo): U-Boot asks port 69 and no other' });
  }
  if (code === 'EADDRINUSE') {
    return new UserError(`cannot serve TFTP on ${where}: another program listens there`, { hint: `ss -ulpn 'sport = :${port}' names it; a tftpd-hpa service stops with systemctl stop tftpd-hpa` });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new UserError(`cannot serve TFTP on ${where}: this host has no address ${address}`, {
      hint: `give the interface cabled to the router that address (ip addr add ${address}/24 dev IFACE), or pass --serverip with one it has`,
    });
  }
  return new UserError(`cannot serve TFTP on ${where}: ${code ?? 'unknown error'}`);
}

const OPCODE = { rrq: 1, data: 3, error: 5, oack: 6 } as const;

/**
 * Asks for `file` until the first DATA (or OACK) answers, then ends the transfer with an ERROR
 * packet; a TFTP error (file not found, permission denied) is reported as the server sent it.
 */
export function probeTftp(address: string, port: number, file: string, timeoutMs = 3000): Promise<void> {
  const socket = createSocket('udp4');
  const request = Buffer.concat([u16(OPCODE.rrq), Buffer.from(`${file}\0octet\0`, 'latin1')]);
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearInterval(resend);
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    socket.on('message', (message, from) => {
      const opcode = message.readUInt16BE(0);
      if (opcode === OPCODE.error) {
        const text = message.toString('latin1', 4).replace(/\0.*$/s, '');
        done(new UserError(`the TFTP server on ${address}:${port} refused ${file}: ${text}`, { hint: 'tftpd-hpa runs as nobody: the directory and the file must be readable by it' }));
      } else if (opcode === OPCODE.data || opcode === OPCODE.oack) {
        socket.send(Buffer.concat([u16(OPCODE.error), u16(0), Buffer.from('probe done\0', 'latin1')]), from.port, from.address, () => done());
      }
    });
    socket.on('error', (error) => done(error));
    const send = () => socket.send(request, port, address);
    const resend = setInterval(send, 200);
    const timer = setTimeout(() => done(new UserError(`the TFTP server on ${address}:${port} did not answer within ${timeoutMs / 1000} s`, { hint: 'journalctl -t in.tftpd may say why' })), timeoutMs);
    send();
  });
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}
