/**
 * Whether an SSH server answers on a port: it sends its identification string first, unasked
 * (RFC 4253, 4.2: "SSH-protoversion-softwareversion", at most 255 characters, possibly after
 * other lines). QEMU's user network accepts a forwarded connection before the guest does, and
 * drops it when nothing listens inside, so an accepted connection alone proves nothing.
 */
import { connect } from 'node:net';

/** Lines before the identification string are allowed, within reason. */
const MAX_PREAMBLE_BYTES = 8192;

/** The identification line ("SSH-2.0-OpenSSH_10.0p2 Debian-7"), or undefined when none came. */
export async function readSshBanner(options: { port: number; host?: string; timeoutMs: number }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port: options.port, host: options.host ?? '127.0.0.1' });
    let received = '';
    const finish = (banner: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(banner);
    };
    const timer = setTimeout(() => finish(undefined), options.timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const line = received.split('\n').find((candidate, index, lines) => index < lines.length - 1 && candidate.startsWith('SSH-'));
      if (line !== undefined) finish(line.replace(/\r$/, ''));
      else if (received.length > MAX_PREAMBLE_BYTES) finish(undefined);
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}
