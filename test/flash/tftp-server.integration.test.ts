import test from 'ava';
import { createSocket } from 'node:dgram';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkBindable, startTftpServer, tftpdArgs } from '../../flash/tftp-server.js';
import { freeUdpPort, tftpGet } from './helpers/tftp-client.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testAsRootWithTools } from './helpers/tftp-flash.js';

test('in.tftpd runs in the foreground, chrooted to the directory, on one address, with a block size cap', (t) => {
  t.deepEqual(tftpdArgs({ directory: '/tmp/x', address: '192.168.1.2', blockSize: 1468 }), [
    'in.tftpd', '--foreground', '--ipv4', '--secure', '--address', '192.168.1.2:69', '--blocksize', '1468', '--verbose', '/tmp/x',
  ]);
});

const tools = { 'in.tftpd': 'tftpd-hpa' };

/** A served directory as flash tftp makes it: readable by tftpd's user nobody. */
async function served(t: Parameters<typeof makeTempDir>[0], mode = 0o755) {
  const directory = await makeTempDir(t);
  const data = randomBytes(100_000);
  await writeFile(join(directory, 'kernel.uimg'), data);
  await chmod(join(directory, 'kernel.uimg'), 0o644);
  await chmod(directory, mode);
  return { directory, data };
}

testAsRootWithTools(tools, 'the server serves the file with the block size capped at 1468, as U-Boot asks', async (t) => {
  const { directory, data } = await served(t);
  const port = await freeUdpPort();
  const server = await startTftpServer({ directory, address: '127.0.0.1', port, blockSize: 1468, probeFile: 'kernel.uimg' });
  t.teardown(() => server.stop());
  const download = await tftpGet('127.0.0.1', port, 'kernel.uimg', { blockSize: 65464 });
  t.is(download.blockSize, 1468);
  t.true(download.data.equals(data));
});

testAsRootWithTools(tools, 'a directory that tftpd\'s user nobody cannot read fails at start, with the server\'s own words', async (t) => {
  const { directory } = await served(t, 0o700);
  const port = await freeUdpPort();
  await t.throwsAsync(startTftpServer({ directory, address: '127.0.0.1', port, blockSize: 1468, probeFile: 'kernel.uimg' }), {
    message: `the TFTP server on 127.0.0.1:${port} refused kernel.uimg: Permission denied`,
  });
});

testAsRootWithTools(tools, 'a port another program holds is named as such before in.tftpd starts', async (t) => {
  const { directory } = await served(t);
  const holder = createSocket('udp4');
  const port = await new Promise<number>((resolve) => holder.bind(0, '127.0.0.1', () => resolve(holder.address().port)));
  t.teardown(() => holder.close());
  const error = await t.throwsAsync(startTftpServer({ directory, address: '127.0.0.1', port, blockSize: 1468, probeFile: 'kernel.uimg' }));
  t.is(error.message, `cannot serve TFTP on 127.0.0.1:${port}: another program listens there`);
  t.regex((error as { hint?: string }).hint ?? '', /ss -ulpn .*systemctl stop tftpd-hpa/);
});

test('an address this host does not have is named, with how to add it', async (t) => {
  const error = await t.throwsAsync(checkBindable('192.0.2.77', 16969));
  t.is(error.message, 'cannot serve TFTP on 192.0.2.77:16969: this host has no address 192.0.2.77');
  t.regex((error as { hint?: string }).hint ?? '', /ip addr add 192\.0\.2\.77\/24 dev IFACE/);
});
