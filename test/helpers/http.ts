/** HTTP requests the tests need beyond fetch. */
import { request } from 'node:http';

/** GET 127.0.0.1:port with a Host header of our choosing (fetch may not set Host). */
export function getWithHost(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * An HTTP request on a connection of its own (no keep-alive pool). fetch reuses idle
 * connections, and after the server restarts (the admin service restarts with named) a reused
 * one fails with "fetch failed"; through QEMU's forwarded ports the dead ones linger.
 */
export async function requestJson(port: number, method: string, path: string, options: RequestOptions = {}): Promise<JsonResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requestOnce(port, method, path, options);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (attempt >= (options.attempts ?? 1) || !['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
}

interface RequestOptions {
  body?: string;
  headers?: Record<string, string>;
  /**
   * Tries on a connection refused or reset before any answer: QEMU's user networking resets
   * some of many simultaneous connections to a forwarded port (seen in CI with 50 at once, the
   * guest under TCG beside another). Only for idempotent requests (GET, PUT, DELETE).
   */
  attempts?: number;
}

interface JsonResponse { status: number; body: Record<string, unknown> }

function requestOnce(port: number, method: string, path: string, options: RequestOptions): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }) };
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      response.on('end', () => {
        let body: Record<string, unknown> = {};
        try { body = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    outgoing.on('error', (error) => reject(Object.assign(new Error(`${method} 127.0.0.1:${port}${path}: ${error.message}`), { code: (error as NodeJS.ErrnoException).code })));
    outgoing.end(options.body);
  });
}
