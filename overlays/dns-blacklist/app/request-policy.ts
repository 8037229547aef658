/**
 * What the admin API asks of a request before it checks the login: no request a browser sends
 * on behalf of another site, and a body only when it is declared JSON. Any web page can make
 * the admin's browser POST a text/plain body to the API without a CORS preflight (a "simple
 * request" in the Fetch standard), and the browser adds the Basic credentials it has cached for
 * the API: while the body was read as JSON whatever its type, a page the admin visited could
 * change the list. Clients that are not browsers (curl, `mcdebian dns-blacklist import`) send
 * neither Origin nor Sec-Fetch-Site and are not affected.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../../runtime/http.js';

/** The one media type the API reads (RFC 8259 §11); parameters such as charset are ignored. */
const JSON_TYPE = 'application/json';

/** Sec-Fetch-Site values of a request the API's own pages or the user's address bar made (Fetch Metadata Request Headers, §2.1). */
const OWN_SITE = new Set(['same-origin', 'none']);

/** An origin normalised as browsers serialise it (RFC 6454 §6.1); undefined when it is none (`null`, garbage). */
function normaliseOrigin(text: string): string | undefined {
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Refuses, with 403, a request a browser sends for another site: Sec-Fetch-Site other than
 * same-origin or none (same-site too: the blocked page on port 80 of the same address is the
 * same site but not the API), or an Origin other than the API's own, which is the scheme it
 * listens with and the Host the request was sent to.
 */
export function checkSameOrigin(req: IncomingMessage, scheme: 'http' | 'https'): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && !OWN_SITE.has(site.toLowerCase())) {
    throw new HttpError(403, `a browser request made by another site (Sec-Fetch-Site: ${site}) is refused; open the API from its own address, or use a client that is not a browser`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const own = req.headers.host === undefined ? undefined : normaliseOrigin(`${scheme}://${req.headers.host}`);
  if (own === undefined || normaliseOrigin(origin) !== own) {
    throw new HttpError(403, `a browser request from the origin ${JSON.stringify(origin.slice(0, 100))} is refused; only the API's own origin${own ? ` ${own}` : ''} may use it from a browser`);
  }
}

/** Whether a request carries a body (RFC 9112 §6.3: a Transfer-Encoding, or a Content-Length above 0). */
const carriesBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * Refuses, with 415, a body not declared `application/json` (RFC 9110 §15.5.16); `required` for
 * a route that reads one, which then needs the declaration even for an empty body.
 */
export function checkJsonBody(req: IncomingMessage, options: { required: boolean }): void {
  if (!options.required && !carriesBody(req)) return;
  const declared = req.headers['content-type'];
  const type = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === JSON_TYPE) return;
  const given = declared === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(declared.slice(0, 100))}`;
  throw new HttpError(415, `the request body must be JSON sent with Content-Type: ${JSON_TYPE}; this request has ${given}; nothing was changed`);
}
