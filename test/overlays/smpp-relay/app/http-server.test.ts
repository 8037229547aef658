import test, { type ExecutionContext } from 'ava';
import type { Server } from 'node:http';
import { listen } from '../../../../overlays/runtime/http.js';
import { createSendsmsServer, createStatusServer } from '../../../../overlays/smpp-relay/app/http-server.js';
import type { SendsmsReply } from '../../../../overlays/smpp-relay/app/sendsms.js';

interface Call {
  args: Map<string, Buffer>;
  clientIp: string;
}

/** Starts a server on a free loopback port, closed when the test ends. */
async function serve(t: ExecutionContext, server: Server): Promise<string> {
  const { port } = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return `http://127.0.0.1:${port}`;
}

/** A sendsms server whose handler records its calls and answers `reply` (or throws). */
async function sendsmsServer(t: ExecutionContext, reply: SendsmsReply | Error = { status: 202, body: '0: Accepted for delivery' }) {
  const calls: Call[] = [];
  const base = await serve(t, createSendsmsServer(async (args, clientIp) => {
    calls.push({ args, clientIp });
    if (reply instanceof Error) throw reply;
    return reply;
  }));
  return { base, calls };
}

/** The arguments of a call, as text (latin1, one character a byte) or hex for the binary ones. */
function readable(args: Map<string, Buffer> | undefined): Record<string, string> {
  return Object.fromEntries([...(args ?? new Map<string, Buffer>()).entries()].map(([name, value]) => [name, ['text', 'udh'].includes(name) ? value.toString('hex') : value.toString('latin1')]));
}

const hex = (text: string, encoding: BufferEncoding = 'utf8') => Buffer.from(text, encoding).toString('hex');

test('GET takes the parameters from the query, bytes as they were encoded, and answers with the handler\'s reply', async (t) => {
  const { base, calls } = await sendsmsServer(t, { status: 202, body: '3: Queued for later delivery' });
  const response = await fetch(`${base}/cgi-bin/sendsms?username=app&password=s%26cret&to=1+2&to=3&text=%E4%FF%00`);
  t.is(response.status, 202);
  t.is(await response.text(), '3: Queued for later delivery');
  t.is(response.headers.get('content-type'), 'text/html');
  t.deepEqual(readable(calls[0]?.args), { username: 'app', password: 's&cret', to: '1 2', text: 'e4ff00' });
  t.is(calls[0]?.clientIp, '127.0.0.1');
});

test('headers of the handler\'s reply go with it (429 with Retry-After)', async (t) => {
  const { base } = await sendsmsServer(t, { status: 429, body: 'Too many failed logins, try again in 42 s.', headers: { 'Retry-After': '42' } });
  const response = await fetch(`${base}/cgi-bin/sendsms?username=app&password=guess`);
  t.is(response.status, 429);
  t.is(response.headers.get('retry-after'), '42');
  t.is(response.headers.get('content-type'), 'text/html');
});

test('POST text/plain takes the text from the body and the rest from X-Kannel-* headers, the UDH in hex and the charset from Content-Type', async (t) => {
  const { base, calls } = await sendsmsServer(t);
  const response = await fetch(`${base}/cgi-bin/sendsms`, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/plain; charset="ISO-8859-1"',
      'X-Kannel-Username': 'app',
      'X-Kannel-Password': 'secret',
      'X-Kannel-To': '+358401 +358402',
      'X-Kannel-From': 'Shop',
      'X-Kannel-SMSC': 'carrier',
      'X-Kannel-DLR-Mask': '3',
      'X-Kannel-DLR-URL': 'http://app/dlr?t=%d',
      'X-Kannel-UDH': '0500030A0201',
      'X-Kannel-Coding': '1',
      'X-Kannel-MClass': '1',
      'X-Kannel-Priority': '2',
    },
    body: Buffer.from('Grüße', 'latin1'),
  });
  t.is(response.status, 202);
  t.deepEqual(readable(calls[0]?.args), {
    text: hex('Grüße', 'latin1'),
    username: 'app',
    password: 'secret',
    to: '+358401 +358402',
    from: 'Shop',
    smsc: 'carrier',
    'dlr-mask': '3',
    'dlr-url': 'http://app/dlr?t=%d',
    coding: '1',
    mclass: '1',
    priority: '2',
    udh: '0500030a0201',
    charset: 'ISO-8859-1',
  });
});

const postCoding = test.macro({
  async exec(t, type: string, headers: Record<string, string>, coding: string) {
    const { base, calls } = await sendsmsServer(t);
    await fetch(`${base}/cgi-bin/sendsms`, { method: 'POST', headers: { 'Content-Type': type, 'X-Kannel-To': '123', ...headers }, body: 'hi' });
    t.is(calls[0]?.args.get('coding')?.toString('latin1'), coding);
  },
  title: (given, type: string, _headers, coding: string) => `POST ${type} ${given} is coding ${coding}, as in smsbox_sendsms_post()`,
});

test('without X-Kannel-Coding', postCoding, 'text/plain', {}, '0');
test('with a UDH and without X-Kannel-Coding', postCoding, 'text/plain', { 'X-Kannel-UDH': '050003010201' }, '0');
test('without X-Kannel-Coding', postCoding, 'application/octet-stream', {}, '1');
test('with X-Kannel-Coding 2', postCoding, 'application/octet-stream', { 'X-Kannel-Coding': '2' }, '2');

test('an X-Kannel-UDH that is not hex is read URL-encoded, as Kannel does', async (t) => {
  const { base, calls } = await sendsmsServer(t);
  await fetch(`${base}/cgi-bin/sendsms`, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Kannel-UDH': '%05%00%03%0A%02%01' }, body: 'hi' });
  t.is(calls[0]?.args.get('udh')?.toString('hex'), '0500030a0201');
});

test('POST of an HTML form takes the parameters from the body, %-encoded bytes and raw UTF-8 alike', async (t) => {
  const { base, calls } = await sendsmsServer(t);
  const body = Buffer.concat([Buffer.from('username=app&to=123&text=Gr%C3%BC%C3%9Fe+'), Buffer.from('Grüße', 'utf8'), Buffer.from('&udh=%05%00%03%01%02%01')]);
  const response = await fetch(`${base}/cgi-bin/sendsms?ignored=1`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body });
  t.is(response.status, 202);
  t.deepEqual(readable(calls[0]?.args), { username: 'app', to: '123', text: hex('Grüße Grüße'), udh: '050003010201' });
});

const refuses = test.macro({
  async exec(t, path: string, init: RequestInit, status: number, body: string) {
    const { base, calls } = await sendsmsServer(t);
    const response = await fetch(`${base}${path}`, init);
    t.is(response.status, status);
    t.is(await response.text(), body);
    t.is(calls.length, 0);
  },
  title: (given, _path, _init, status: number, body: string) => `${given} is answered ${status} "${body}"`,
});

test('another path', refuses, '/cgi-bin/sendsmsx?username=app', {}, 404, 'Unknown request.');
test('the root', refuses, '/', {}, 404, 'Unknown request.');
test('a PUT', refuses, '/cgi-bin/sendsms', { method: 'PUT', body: 'x' }, 405, 'Method not allowed');
test('a POST of JSON', refuses, '/cgi-bin/sendsms', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 400, 'Invalid content-type');
test('a POST over 64 KiB', refuses, '/cgi-bin/sendsms', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(64 * 1024 + 1) }, 413, 'Request too large');

test('a handler that throws is answered 500', async (t) => {
  const { base } = await sendsmsServer(t, new Error('boom'));
  const response = await fetch(`${base}/cgi-bin/sendsms?to=1`);
  t.is(response.status, 500);
  t.is(await response.text(), 'Internal error: boom');
});

async function statusServer(t: ExecutionContext, passwords: string[]): Promise<string> {
  return serve(t, createStatusServer({ passwords, text: () => 'Links: all fine\n', json: () => ({ links: [] }) }));
}

const status = test.macro({
  async exec(t, passwords: string[], path: string, expected: { status: number; body: string; type: string }) {
    const base = await statusServer(t, passwords);
    const response = await fetch(`${base}${path}`);
    t.deepEqual({ status: response.status, body: await response.text(), type: response.headers.get('content-type') }, expected);
  },
  title: (given, passwords: string[], path: string, expected: { status: number }) => `${given ?? ''}${path} with ${passwords.length > 0 ? 'a password set' : 'no password set'} answers ${expected.status}`,
});

const TEXT = { status: 200, body: 'Links: all fine\n', type: 'text/plain; charset=utf-8' };
const JSON_BODY = { status: 200, body: '{\n  "links": []\n}\n', type: 'application/json' };
const DENIED = { status: 403, body: 'Denied', type: 'text/plain' };

test(status, [], '/status', TEXT);
test(status, [], '/status.json', JSON_BODY);
test(status, [], '/', TEXT);
test(status, ['bar', 'baz'], '/status', DENIED);
test('a wrong password: ', status, ['bar', 'baz'], '/status?password=foo', DENIED);
test('admin-password: ', status, ['bar', 'baz'], '/status?password=bar', TEXT);
test('status-password: ', status, ['bar', 'baz'], '/status.txt?password=baz', TEXT);
test(status, ['bar'], '/status.json?password=bar', JSON_BODY);
test(status, ['bar'], '/shutdown?password=bar', { status: 404, body: 'Unknown command', type: 'text/plain' });
