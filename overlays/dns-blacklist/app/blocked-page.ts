/**
 * The page a browser gets when a blocked name resolves to the router (the `sink` action): every
 * path and method answers with a short HTML page naming the domain from the Host header. Only
 * plain HTTP can show it; HTTPS to a blocked name meets the router with a certificate for
 * another name, which browsers refuse (overlays/dns-blacklist/README.md, "Facts this overlay relies on").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' };

/** Text made safe for HTML content and attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);

/** The host a request was for, without its port; undefined when the request names none. */
export function hostOf(header: string | undefined): string | undefined {
  const host = (header ?? '').trim().slice(0, 300);
  if (host === '') return undefined;
  // [v6]:port keeps its brackets; name:port and v4:port lose the port
  const withoutPort = host.startsWith('[') ? host.replace(/(?<=\])(:\d*)?$/, '') : host.replace(/:\d*$/, '');
  return withoutPort.replace(/\.$/, '') || undefined;
}

/** The page for a blocked host ("this site" when the request did not say which). */
export function renderBlockedPage(host: string | undefined): string {
  const name = host === undefined ? 'this site' : escapeHtml(host);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Blocked: ${name}</title>
<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}h1{font-size:1.4em}</style>
</head>
<body>
<h1>${name} is blocked</h1>
<p>This network's DNS blacklist blocks ${name} and its subdomains.</p>
<p>If you need it, ask the network's administrator to unblock it.</p>
</body>
</html>
`;
}

/**
 * The handler. 403, not 200: the request was understood and refused by policy, so scripts, ad
 * SDKs and crawlers see a failure instead of content they might take for the real site, while
 * browsers still show the page. no-store, because the name may be unblocked any minute and a
 * cached page would outlive that; the policy forbids scripts and outside resources.
 */
export function blockedPageHandler(req: IncomingMessage, res: ServerResponse): void {
  const body = renderBlockedPage(hostOf(req.headers.host));
  res.writeHead(403, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Content-Security-Policy': 'default-src \'none\'; style-src \'unsafe-inline\'',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  req.resume();
}
