import test from 'ava';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createServer } from 'node:http';
import { blockedPageHandler, hostOf, renderBlockedPage } from '../../../../overlays/dns-blacklist/app/blocked-page.js';
import { listenOnLoopback } from './fakes.js';

/** A request with a Host header of our choosing (fetch does not let one set it). */
function get(url: string, options: { host: string; method?: string; path?: string }) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(`${url}${options.path ?? '/'}`, { method: options.method ?? 'GET', headers: { Host: options.host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hostCases = test.macro({
  exec(t, header: string | undefined, expected: string | undefined) {
    t.is(hostOf(header), expected);
  },
  title: (_given, header: string | undefined, expected: string | undefined) => `Host ${JSON.stringify(header)} is ${JSON.stringify(expected)}`,
});

test(hostCases, 'ads.example', 'ads.example');
test(hostCases, 'ads.example:8080', 'ads.example');
test(hostCases, 'ads.example.', 'ads.example');
test(hostCases, '192.0.2.1:80', '192.0.2.1');
test(hostCases, '[2001:db8::1]:80', '[2001:db8::1]');
test(hostCases, '', undefined);
test(hostCases, undefined, undefined);

test('the page names the blocked domain from the Host header, without its port, on any path and method', async (t) => {
  const url = await listenOnLoopback(t, createServer(blockedPageHandler));
  for (const [method, path] of [['GET', '/'], ['GET', '/ads/banner.js?x=1'], ['POST', '/track']] as const) {
    const response = await get(url, { host: 'ads.example:8080', method, path });
    t.is(response.status, 403);
    t.regex(response.body, /<h1>ads\.example is blocked<\/h1>/);
    t.is(response.headers['cache-control'], 'no-store');
    t.is(response.headers['content-type'], 'text/html; charset=utf-8');
  }
});

test('a Host header with markup is escaped, not run', async (t) => {
  const url = await listenOnLoopback(t, createServer(blockedPageHandler));
  const response = await get(url, { host: '<script>alert("x")</script>&\'' });
  t.false(response.body.includes('<script>'));
  t.regex(response.body, /<h1>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&#39; is blocked<\/h1>/);
  t.is(response.headers['content-security-policy'], 'default-src \'none\'; style-src \'unsafe-inline\'');
});

test('a request without a Host header gets "this site"', async (t) => {
  const url = new URL(await listenOnLoopback(t, createServer(blockedPageHandler)));
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.regex(reply, /^HTTP\/1\.1 403 /);
  t.regex(reply, /<h1>this site is blocked<\/h1>/);
});

test('HEAD gets the headers only', async (t) => {
  const url = await listenOnLoopback(t, createServer(blockedPageHandler));
  const response = await get(url, { host: 'ads.example', method: 'HEAD' });
  t.is(response.status, 403);
  t.is(response.body, '');
});

test('the page for no host and for a host differ only in the name', (t) => {
  t.is(renderBlockedPage(undefined).replaceAll('this site', 'X'), renderBlockedPage('X'));
});
