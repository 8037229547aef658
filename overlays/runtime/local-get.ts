/**
 * A GET from a service to another service on the same device (its status or health page), for
 * the services' `health`/`status` modes that `mcdebian status` runs over SSH. HTTPS trusts only
 * the certificate given: the service's own, pinned, so the host name it was made for (the LAN's)
 * need not match the loopback address it is reached at.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface LocalAnswer {
  status: number;
  body: string;
}

/** Bodies larger than this are cut: a status page is a few KiB. */
const MAX_BODY = 4 * 1024 * 1024;

/** GETs `url`; rejects on a connection error or after `timeoutMs`. */
export function getLocal(url: URL, options: { timeoutMs: number; pinnedCertificate?: string }): Promise<LocalAnswer> {
  const tls = url.protocol === 'https:';
  const request = tls ? httpsRequest : httpRequest;
  const pin = tls ? { ca: options.pinnedCertificate, checkServerIdentity: () => undefined } : {};
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: options.timeoutMs, ...pin }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The address to reach a service listening on `address` from the same device: the wildcard is loopback. */
export function localAddressOf(address: string | undefined): string {
  if (address === undefined || address === '' || address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
