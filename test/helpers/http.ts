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
export function requestJson(port: number, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
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
    outgoing.on('error', (error) => reject(new Error(`${method} 127.0.0.1:${port}${path}: ${error.message}`)));
    outgoing.end(options.body);
  });
}
