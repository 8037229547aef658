import test from 'ava';
import { CorsPolicy } from '../../../../overlays/vote-backend/app/cors.js';

const policy = new CorsPolicy(['https://vote.example.com', 'https://CDN.example.net']);

test('an answer to a page origin names that origin (never *) and varies by Origin', (t) => {
  t.deepEqual(policy.headersFor('https://vote.example.com'), { 'Access-Control-Allow-Origin': 'https://vote.example.com', Vary: 'Origin' });
  t.deepEqual(policy.headersFor('https://cdn.example.net'), { 'Access-Control-Allow-Origin': 'https://cdn.example.net', Vary: 'Origin' }, 'origins compare without case');
});

test('an answer to a foreign origin or none allows nothing but still varies by Origin', (t) => {
  t.deepEqual(policy.headersFor('https://evil.example.org'), { Vary: 'Origin' });
  t.deepEqual(policy.headersFor('https://vote.example.com.evil.example.org'), { Vary: 'Origin' });
  t.deepEqual(policy.headersFor('null'), { Vary: 'Origin' });
  t.deepEqual(policy.headersFor(undefined), { Vary: 'Origin' });
});

test('with no page origins configured no CORS headers are sent at all', (t) => {
  t.deepEqual(new CorsPolicy([]).headersFor('https://vote.example.com'), {});
});

test('a preflight from a page origin for a JSON POST with an Idempotency-Key is allowed, cached for two hours', (t) => {
  t.deepEqual(policy.preflight({ origin: 'https://vote.example.com', method: 'POST', requestHeaders: 'Content-Type, Idempotency-Key' }), {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': 'https://vote.example.com', Vary: 'Origin',
      'Access-Control-Allow-Methods': 'POST, GET', 'Access-Control-Allow-Headers': 'content-type, idempotency-key', 'Access-Control-Max-Age': '7200',
    },
  });
});

const refused = test.macro({
  exec(t, headers: { origin?: string; method?: string; requestHeaders?: string }) {
    t.deepEqual(policy.preflight(headers), { status: 403, headers: { Vary: 'Origin' } });
  },
  title: (given) => `a preflight is refused: ${given}`,
});
test('from a foreign origin', refused, { origin: 'https://evil.example.org', method: 'POST', requestHeaders: 'content-type' });
test('without an origin', refused, { method: 'POST' });
test('for DELETE', refused, { origin: 'https://vote.example.com', method: 'DELETE' });
test('with a header the vote does not need', refused, { origin: 'https://vote.example.com', method: 'POST', requestHeaders: 'content-type, x-admin' });
