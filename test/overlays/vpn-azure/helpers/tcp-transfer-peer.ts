/**
 * One end of a TCP transfer, run by tcp-transfer.ts inside a namespace with Node:
 *   sink ADDRESS PORT          listens; prints "listening", then {"bytes","sha256"} of what it got
 *   source ADDRESS PORT BYTES FROM   sends BYTES random bytes from address FROM; prints the same
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';

const [mode, address, port, bytes, from] = process.argv.slice(2);

function runSink(): void {
  const server = createServer((socket) => {
    const hash = createHash('sha256');
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
    });
    socket.on('end', () => {
      process.stdout.write(`${JSON.stringify({ bytes: received, sha256: hash.digest('hex') })}\n`);
      socket.end();
      server.close();
    });
  });
  server.listen(Number(port), address, () => process.stdout.write('listening\n'));
}

function runSource(): void {
  const hash = createHash('sha256');
  const socket = connect({ host: address, port: Number(port), localAddress: from }, () => {
    let left = Number(bytes);
    const send = () => {
      while (left > 0) {
        const chunk = randomBytes(Math.min(left, 64 * 1024));
        left -= chunk.length;
        hash.update(chunk);
        if (!socket.write(chunk)) return void socket.once('drain', send);
      }
      socket.end();
    };
    send();
  });
  socket.on('close', () => process.stdout.write(`${JSON.stringify({ bytes: Number(bytes), sha256: hash.digest('hex') })}\n`));
  socket.resume();
}

if (mode === 'sink') runSink();
else if (mode === 'source') runSource();
else throw new Error(`usage: tcp-transfer-peer.js sink ADDRESS PORT | source ADDRESS PORT BYTES FROM (got ${mode})`);
