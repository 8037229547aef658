/**
 * The small pieces of HTTP the services share: listening and an orderly close, JSON answers,
 * errors that carry their status, and a request body read up to a limit.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens; resolves with the address actually bound (port 0 picks a free one, for tests). */
export function listen(server: Server, port: number, host?: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes a server: idle connections at once, busy ones after their answer or 10 s. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  return closed.finally(() => clearTimeout(force));
}

/** An answer other than 2xx, thrown by a handler and sent by its caller. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: { details?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Sends `body` as JSON; nothing in an admin answer may be cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** Sends an HttpError as `{"error": message, ...details}`. */
export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.message, ...error.details }, error.headers);
}

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, by one pass that skips strings,
 * before JSON.parse builds anything. JSON.parse copes with any depth, but any recursive walk of
 * the value after it (JSON.stringify for a message) overflowed the stack on a body of 100,000
 * brackets: a RangeError and a 500. A dozen lines, so no dependency; for text that is not JSON
 * the answer does not matter, as JSON.parse refuses it next.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      if (++depth > limit) return true;
    } else if (char === ']' || char === '}') depth--;
  }
  return false;
}

/** Limits on a JSON request body. */
export interface BodyLimits {
  /** Largest body, in bytes. */
  maxBytes: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
}

/**
 * The request body parsed as JSON. Too large is 413, refused from Content-Length before a byte
 * is read when possible; the connection is then closed rather than drained of the rest. Nested
 * deeper than the limit is 400.
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `the request body is larger than ${limits.maxBytes} bytes`, { headers: { Connection: 'close' } });
  if (Number(req.headers['content-length'] ?? 0) > limits.maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (nestsDeeperThan(text, limits.maxDepth)) throw new HttpError(400, `the request body nests arrays and objects more than ${limits.maxDepth} deep`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the request body is not JSON: ${(error as Error).message}`);
  }
}
