/**
 * The relay's two HTTP servers, as Kannel has them: sendsms on smsbox's `sendsms-port`
 * (GET with the parameters in the query; POST with the text as the body and the parameters in
 * X-Kannel-* headers, as smsbox_sendsms_post() reads them; and, beyond Kannel, POST of an
 * HTML form), and the status on core's `admin-port`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs, percentDecode } from './http-args.js';
import { plainAddress } from './ip-patterns.js';
import type { SendsmsReply } from './types.js';

/** The longest request body taken (a text of 10 concatenated parts is far below it). */
const MAX_BODY = 64 * 1024;

/** X-Kannel-* headers and the parameters they stand for. */
const KANNEL_HEADERS = ['username', 'password', 'from', 'to', 'smsc', 'mclass', 'mwi', 'coding', 'compress', 'validity', 'deferred', 'dlr-mask', 'dlr-url', 'account', 'pid', 'alt-dcs', 'rpi', 'binfo', 'priority', 'meta-data'];

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A POST's parameters: a form, or Kannel's text body with X-Kannel-* headers. */
function postArgs(request: IncomingMessage, body: Buffer): Map<string, Buffer> | string {
  const [type = '', ...params] = (request.headers['content-type'] ?? '').split(';').map((part) => part.trim());
  // as UTF-8, so raw UTF-8 (curl -d 'text=Grüße') keeps its bytes; %XX gives any byte
  if (type.toLowerCase() === 'application/x-www-form-urlencoded') return parseArgs(body.toString('utf8'));
  if (!['text/plain', 'application/octet-stream'].includes(type.toLowerCase())) return 'Invalid content-type';
  const args = new Map<string, Buffer>([['text', body]]);
  for (const name of KANNEL_HEADERS) {
    const value = request.headers[`x-kannel-${name}`];
    if (typeof value === 'string') args.set(name, Buffer.from(value, 'latin1'));
  }
  // smsbox_sendsms_post(): 7-bit for text/plain, 8-bit for octet-stream, unless the header says
  if (!args.has('coding')) args.set('coding', Buffer.from(type.toLowerCase() === 'text/plain' ? '0' : '1'));
  // get_x_kannel_from_headers(): hex, else URL-encoded
  const udh = request.headers['x-kannel-udh'];
  if (typeof udh === 'string') args.set('udh', /^[0-9a-f]*$/i.test(udh) ? Buffer.from(udh, 'hex') : percentDecode(udh));
  const charset = params.find((param) => param.toLowerCase().startsWith('charset='));
  if (charset) args.set('charset', Buffer.from(charset.slice(8).replaceAll('"', ''), 'latin1'));
  return args;
}

function send(response: ServerResponse, reply: SendsmsReply, type = 'text/html'): void {
  response.writeHead(reply.status, { ...reply.headers, 'Content-Type': type, Pragma: 'no-cache', 'Cache-Control': 'no-cache' });
  response.end(reply.body);
}

/** Serves /cgi-bin/sendsms. */
export function createSendsmsServer(handle: (args: Map<string, Buffer>, clientIp: string) => Promise<SendsmsReply>): Server {
  return createServer((request, response) => {
    void (async () => {
      const [path = '', query = ''] = (request.url ?? '').split('?', 2);
      if (path !== '/cgi-bin/sendsms') return send(response, { status: 404, body: 'Unknown request.' });
      const clientIp = plainAddress(request.socket.remoteAddress);
      if (request.method === 'GET') return send(response, await handle(parseArgs(query), clientIp));
      if (request.method !== 'POST') return send(response, { status: 405, body: 'Method not allowed' });
      const body = await readBody(request);
      if (body === undefined) return send(response, { status: 413, body: 'Request too large' });
      const args = postArgs(request, body);
      if (typeof args === 'string') return send(response, { status: 400, body: args });
      return send(response, await handle(args, clientIp));
    })().catch((error: Error) => {
      if (!response.headersSent) send(response, { status: 500, body: `Internal error: ${error.message}` });
    });
  });
}

/** Serves /status (text), /status.txt and /status.json, behind the admin or status password when one is set. */
export function createStatusServer(options: { passwords: string[]; text(): string; json(): unknown }): Server {
  return createServer((request, response) => {
    const [path = '', query = ''] = (request.url ?? '').split('?', 2);
    const password = parseArgs(query).get('password')?.toString('latin1');
    if (options.passwords.length > 0 && (password === undefined || !options.passwords.includes(password))) {
      return send(response, { status: 403, body: 'Denied' }, 'text/plain');
    }
    if (path === '/status' || path === '/status.txt' || path === '/') return send(response, { status: 200, body: options.text() }, 'text/plain; charset=utf-8');
    if (path === '/status.json') return send(response, { status: 200, body: `${JSON.stringify(options.json(), null, 2)}\n` }, 'application/json');
    return send(response, { status: 404, body: 'Unknown command' }, 'text/plain');
  });
}
