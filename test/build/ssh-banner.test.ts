import test, { type ExecutionContext } from 'ava';
import { createServer, type Socket } from 'node:net';
import { readSshBanner } from '../../build/ssh-banner.js';
import { freePort } from '../helpers/guest.js';

/** A server on loopback that treats each connection as told; closed when the test ends. */
async function serve(t: ExecutionContext, onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

test('an SSH server\'s identification line is the banner', async (t) => {
  const port = await serve(t, (socket) => socket.write('SSH-2.0-OpenSSH_10.0p2 Debian-7\r\n'));
  t.is(await readSshBanner({ port, timeoutMs: 60_000 }), 'SSH-2.0-OpenSSH_10.0p2 Debian-7');
});

test('lines before the identification line are skipped (RFC 4253, 4.2), and it may come in pieces', async (t) => {
  const port = await serve(t, (socket) => {
    socket.write('Welcome\r\nauthorised use only\r\nSSH-2.0-');
    setImmediate(() => socket.write('dropbear_2022.83\r\n'));
  });
  t.is(await readSshBanner({ port, timeoutMs: 60_000 }), 'SSH-2.0-dropbear_2022.83');
});

test('a connection accepted and dropped, as QEMU\'s forward does while the guest has no sshd, is no banner', async (t) => {
  const port = await serve(t, (socket) => socket.end());
  t.is(await readSshBanner({ port, timeoutMs: 60_000 }), undefined);
});

test('a server that speaks something else is no banner', async (t) => {
  const port = await serve(t, (socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  t.is(await readSshBanner({ port, timeoutMs: 60_000 }), undefined);
});

test('a server that accepts and stays silent is no banner once the probe\'s time is up', async (t) => {
  const port = await serve(t, () => undefined);
  t.is(await readSshBanner({ port, timeoutMs: 500 }), undefined);
});

test('a port nothing listens on is no banner', async (t) => {
  t.is(await readSshBanner({ port: await freePort(), timeoutMs: 60_000 }), undefined);
});
