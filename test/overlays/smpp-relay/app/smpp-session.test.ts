import test from 'ava';
import { connectOptions, describeError, Liveness, livenessLimits, reconnectDelayMs } from '../../../../overlays/smpp-relay/app/smpp-session.js';
import { linkSettings } from './smpp-link-fixtures.js';

test('the reconnect delay doubles from reconnect-delay up to 8 times it, plus up to 20%', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 10].map((failures) => reconnectDelayMs(10, failures, 0)), [10_000, 20_000, 40_000, 80_000, 80_000, 80_000]);
  t.is(reconnectDelayMs(10, 0, 0.999), 10_000 * 1.1998);
});

test('TLS options always verify, with the CA and client certificate when given', (t) => {
  t.deepEqual(connectOptions(linkSettings(2775)), { host: '127.0.0.1', port: 2775 });
  t.deepEqual(connectOptions(linkSettings(3550, { tls: true })), { host: '127.0.0.1', port: 3550, tls: true, rejectUnauthorized: true });
  t.deepEqual(connectOptions(linkSettings(3550, { tls: true }), { ca: 'CA', cert: 'CERT', key: 'KEY' }), {
    host: '127.0.0.1', port: 3550, tls: true, rejectUnauthorized: true, ca: 'CA', cert: 'CERT', key: 'KEY',
  });
  t.like(connectOptions(linkSettings(3550, { tls: true, host: 'smsc.example' })), { servername: 'smsc.example' });
});

test('a refused certificate is described with what to do', (t) => {
  const error = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  const described = describeError(error, linkSettings(3550, { tls: true }));
  t.regex(described, /^TLS certificate of 127\.0\.0\.1:3550 refused \(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\); .*ssl-trusted-ca-file/);
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2775'), { code: 'ECONNREFUSED' });
  t.is(describeError(refused, linkSettings(2775)), 'connect ECONNREFUSED 127.0.0.1:2775');
});

test('liveness limits: the enquire_link answer within min(interval, 10 s), the bind within min(connection-timeout, 30 s)', (t) => {
  t.deepEqual(livenessLimits(linkSettings(2775, { enquireLinkInterval: 30, connectionTimeout: 300 })), {
    enquireIntervalMs: 30_000, enquireDeadlineMs: 10_000, connectionTimeoutMs: 300_000, bindTimeoutMs: 30_000,
  });
  t.like(livenessLimits(linkSettings(2775, { enquireLinkInterval: 5, connectionTimeout: 0 })), {
    enquireDeadlineMs: 5000, connectionTimeoutMs: 0, bindTimeoutMs: 30_000,
  });
});

test('a bound link enquires after the interval of silence and is dead when no answer comes in time', (t) => {
  const state = { now: 0 };
  const liveness = new Liveness({ enquireIntervalMs: 30_000, enquireDeadlineMs: 10_000, connectionTimeoutMs: 300_000, bindTimeoutMs: 30_000 }, () => state.now);
  state.now = 1000;
  liveness.heard();
  liveness.bindDone();
  state.now = 30_999;
  t.deepEqual(liveness.check(), { kind: 'wait' });
  state.now = 31_000;
  t.deepEqual(liveness.check(), { kind: 'enquire' });
  liveness.enquired();
  state.now = 40_999;
  t.deepEqual(liveness.check(), { kind: 'wait' });
  state.now = 41_000;
  t.deepEqual(liveness.check(), { kind: 'dead', reason: 'no answer to enquire_link within 10 s: dead link' });
});

test('any PDU answers the enquire_link; an unbound connection never enquires and times out', (t) => {
  const state = { now: 0 };
  const limits = { enquireIntervalMs: 1000, enquireDeadlineMs: 1000, connectionTimeoutMs: 0, bindTimeoutMs: 5000 };
  const bound = new Liveness(limits, () => state.now);
  bound.bindDone();
  state.now = 1000;
  bound.enquired();
  state.now = 1500;
  bound.heard();
  state.now = 2400;
  t.deepEqual(bound.check(), { kind: 'wait' });
  const unbound = new Liveness(limits, () => state.now);
  state.now += 4999;
  t.deepEqual(unbound.check(), { kind: 'wait' });
  state.now += 1;
  t.deepEqual(unbound.check(), { kind: 'dead', reason: 'not bound within 5 s' });
});
