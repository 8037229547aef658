/**
 * A TFTP client of a few lines (RFC 1350 with the blksize option of RFC 2348), for tests: it
 * reads a file from the server under test, as U-Boot's tftpboot does, and reports the block size
 * the server granted. Like U-Boot (net/tftp.c: `tftptimeout` 5000 ms, `tftptimeoutcountmax` 10)
 * it waits for each packet, not for the whole file, and sends its last packet again when none
 * comes; only ten silent waits in a row end the transfer. A busy machine slows a 6 MB load down
 * but does not fail it.
 */
import { createSocket } from 'node:dgram';

export interface TftpDownload {
  data: Buffer;
  /** The block size the server's OACK granted; 512 when it sent none. */
  blockSize: number;
}

export function tftpGet(address: string, port: number, file: string, options: { blockSize?: number; timeoutMs?: number; retries?: number } = {}): Promise<TftpDownload> {
  const socket = createSocket('udp4');
  const asked = options.blockSize ?? 1468;
  const request = Buffer.from(`\0\x01${file}\0octet\0blksize\0${asked}\0`, 'latin1');
  const ack = (block: number) => Buffer.from([0, 4, block >> 8 & 0xff, block & 0xff]);
  const chunks: Buffer[] = [];
  let blockSize = 512;
  let expected = 1;
  const waitMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 10;
  return new Promise((resolve, reject) => {
    let last: { packet: Buffer; port: number; address: string } = { packet: request, port, address };
    let silent = 0;
    let timer: NodeJS.Timeout;
    const send = (packet: Buffer, to: { port: number; address: string }) => {
      last = { packet, ...to };
      socket.send(packet, to.port, to.address);
    };
    const wait = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent += 1;
        if (silent > retries) return finish(new Error(`TFTP ${file}: no answer in ${retries + 1} waits of ${waitMs} ms`));
        socket.send(last.packet, last.port, last.address);
        wait();
      }, waitMs);
    };
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve({ data: Buffer.concat(chunks), blockSize });
    };
    socket.on('message', (message, from) => {
      silent = 0;
      wait();
      const opcode = message.readUInt16BE(0);
      if (opcode === 5) return finish(new Error(`TFTP error ${message.readUInt16BE(2)}: ${message.toString('latin1', 4).replace(/\0.*$/s, '')}`));
      if (opcode === 6) {
        const fields = message.toString('latin1', 2).split('\0');
        const index = fields.indexOf('blksize');
        if (index >= 0) blockSize = Number(fields[index + 1]);
        return send(ack(0), from);
      }
      if (opcode !== 3) return undefined;
      const block = message.readUInt16BE(2);
      if (block === (expected & 0xffff)) {
        chunks.push(message.subarray(4));
        expected += 1;
      }
      send(ack(block), from);
      if (message.length - 4 < blockSize) finish();
      return undefined;
    });
    socket.send(request, port, address);
    wait();
  });
}

/** A UDP port nothing listens on right now (bound and released). */
export function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => {
    const { port } = socket.address();
    socket.close(() => resolve(port));
  }));
}
