import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { clientAddressOf, readBody } from '../../../../overlays/vote-backend/app/request-body.js';
import { VoteRefusal } from '../../../../overlays/vote-backend/app/vote-request.js';

/** A request: its body in chunks and its headers. */
const request = (chunks: string[], headers: Record<string, string> = {}) => Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers }) as unknown as IncomingMessage;

test('a body comes back as UTF-8 text, however it was cut into chunks', async (t) => {
  const text = '{"poll":"show","choice":"ä"}';
  const bytes = Buffer.from(text);
  const split = Object.assign(Readable.from([bytes.subarray(0, 26), bytes.subarray(26)]), { headers: {} }) as unknown as IncomingMessage;
  t.is(await readBody(split, 100), text, 'a character cut in two by the chunks is whole');
  t.is(await readBody(request(['{"a":', '1}']), 100), '{"a":1}');
  t.is(await readBody(request([]), 100), '');
});

test('a body that says it is too large is refused before a byte is read', async (t) => {
  const error = await t.throwsAsync(readBody(request(['x'], { 'content-length': '101' }), 100), { instanceOf: VoteRefusal });
  t.like(error, { status: 413, reason: 'too_large', message: 'the vote is larger than 100 bytes', headers: { Connection: 'close' } });
});

test('a chunked body that grows past the limit is refused', async (t) => {
  const error = await t.throwsAsync(readBody(request(['x'.repeat(60), 'y'.repeat(60)]), 100), { instanceOf: VoteRefusal });
  t.like(error, { status: 413, reason: 'too_large' });
});

test('a body of exactly the limit is read', async (t) => {
  t.is(await readBody(request(['x'.repeat(100)], { 'content-length': '100' }), 100), 'x'.repeat(100));
});

const peer = (remoteAddress: string | undefined, headers: Record<string, string | string[]> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

test('the client is the socket\'s peer, an IPv4 client on a dual-stack socket written the IPv4 way', (t) => {
  t.is(clientAddressOf(peer('::ffff:192.0.2.7'), null), '192.0.2.7');
  t.is(clientAddressOf(peer('2001:db8::7'), null), '2001:db8::7');
  t.is(clientAddressOf(peer('192.0.2.7', { 'x-forwarded-for': '198.51.100.1' }), null), '192.0.2.7', 'a header not configured is not believed');
});

test('behind a load balancer the client is the last entry of its header, which a client cannot forge', (t) => {
  t.is(clientAddressOf(peer('10.0.0.2', { 'x-forwarded-for': '203.0.113.66, 198.51.100.1' }), 'x-forwarded-for'), '198.51.100.1');
  t.is(clientAddressOf(peer('10.0.0.2', { 'x-forwarded-for': '198.51.100.1 , ' }), 'x-forwarded-for'), '198.51.100.1');
  t.is(clientAddressOf(peer('10.0.0.2', {}), 'x-forwarded-for'), '10.0.0.2', 'without the header: the peer');
  t.is(clientAddressOf(peer('10.0.0.2', { 'x-real-ip': 'z'.repeat(100) }), 'x-real-ip').length, 45, 'no longer than the column');
});
