/**
 * The relay end to end, as its command line runs it, against the tests' SMSC on loopback:
 * sendsms answers as Kannel's, messages reach the SMSC as Kannel would send them, receipts
 * reach the DLR URL, long texts are split, links fail over and come back, the status shows it.
 */
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from './helpers/gateway.js';
import { startRelay, type RunningRelay } from './helpers/relay.js';
import { startSimulator, type SmscSimulator } from './helpers/smsc-simulator.js';
import { testConf } from './helpers/kannel-conf-text.js';

interface Dlrs { server: Server; url: string; hits: URLSearchParams[] }

async function dlrServer(): Promise<Dlrs> {
  const hits: URLSearchParams[] = [];
  const server = createServer((request, response) => {
    hits.push(new URL(request.url ?? '/', 'http://x').searchParams);
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dlr`, hits };
}

async function setup(links: Record<string, string | number | boolean>[], user: Record<string, string | number | boolean> = {}) {
  const smsc = await startSimulator({ accounts: [{ systemId: 'one', password: 'pw1' }, { systemId: 'two', password: 'pw2' }] });
  const conf = await testConf({
    smsc: links.map((link) => ({ port: smsc.port, ...link })),
    users: [{ username: 'app', password: 'secret', 'max-messages': 5, concatenation: true, ...user }],
  });
  const relay = await startRelay({ conf: conf.text });
  return { smsc, relay };
}

async function teardown(parts: { smsc?: SmscSimulator; relay?: RunningRelay; dlrs?: Dlrs }) {
  await parts.relay?.stop();
  await parts.smsc?.close();
  parts.dlrs?.server.close();
}

test('a message is answered "0: Accepted for delivery" and reaches the SMSC with Kannel\'s addresses and esm_class', async (t) => {
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1', 'transceiver-mode': true }]);
  try {
    await parts.relay.waitForLinks({ a: 'online' });
    const answer = await parts.relay.sendsms({ username: 'app', password: 'secret', from: '+4915', to: '+4917 0171', text: 'hello' });
    t.deepEqual(answer, { status: 202, body: '0: Accepted for delivery' });
    await parts.smsc.waitFor(() => parts.smsc.submits.length === 2);
    const first = parts.smsc.submits.find((submit) => submit.destinationAddr === '4917');
    t.like(first, { sourceAddr: '4915', esmClass: 3, dataCoding: 0 });
    t.is(first?.shortMessage.toString('latin1'), 'hello');
  } finally {
    await teardown(parts);
  }
});

test('receipts and the SMSC\'s ack reach the DLR URL with Kannel\'s escapes', async (t) => {
  const dlrs = await dlrServer();
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1', 'transceiver-mode': true, 'msg-id-type': 0 }]);
  try {
    await parts.relay.waitForLinks({ a: 'online' });
    const url = `${dlrs.url}?type=%d&to=%p&from=%P&smsc=%i&id=%F&reply=%A`;
    t.is((await parts.relay.sendsms({ username: 'app', password: 'secret', from: '4915', to: '4917', text: 'hi', 'dlr-mask': '9', 'dlr-url': url })).status, 202);
    await parts.smsc.waitFor(() => dlrs.hits.length === 2);
    const byType = Object.fromEntries(dlrs.hits.map((hit) => [hit.get('type'), hit]));
    const messageId = parts.smsc.submits[0]?.messageId;
    t.is(byType['8']?.get('reply'), 'ACK/');
    t.like(Object.fromEntries(byType['1'] ?? []), { to: '4917', from: '4915', smsc: 'a', id: messageId });
    t.regex(byType['1']?.get('reply') ?? '', new RegExp(`^id:${messageId} .*stat:DELIVRD`));
    t.is((await parts.relay.status()).receipts.awaited, 0);
  } finally {
    await teardown({ ...parts, dlrs });
  }
});

test('a long text becomes parts with concatenation headers, all on one link, one receipt asked for', async (t) => {
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1' }, { 'smsc-id': 'a', 'smsc-admin-id': 'a2', 'smsc-username': 'two', 'smsc-password': 'pw2' }]);
  try {
    await parts.relay.waitForLinks({ a: 'online', a2: 'online' });
    const text = 'x'.repeat(300);
    t.is((await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text, 'dlr-mask': '1', 'dlr-url': 'http://127.0.0.1:9/' })).status, 202);
    await parts.smsc.waitFor(() => parts.smsc.submits.length === 2);
    const [first, second] = parts.smsc.submits;
    t.is(first?.account, second?.account);
    t.deepEqual([first?.esmClass, second?.esmClass], [0x43, 0x43]);
    t.deepEqual([first?.shortMessage.subarray(0, 6), second?.shortMessage.subarray(0, 6)].map((udh) => [...(udh ?? [])].filter((_, i) => i !== 3)), [[5, 0, 3, 2, 1], [5, 0, 3, 2, 2]]);
    t.is(Buffer.concat([first!.shortMessage.subarray(6), second!.shortMessage.subarray(6)]).toString('latin1'), text);
    t.deepEqual([first?.registeredDelivery, second?.registeredDelivery], [1, 0]);
  } finally {
    await teardown(parts);
  }
});

test('sendsms answers "3: Queued for later delivery" while no link is bound, and the message goes once one is', async (t) => {
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1' }]);
  try {
    await parts.relay.waitForLinks({ a: 'online' });
    parts.smsc.refuseBinds(1500);
    parts.smsc.disconnectAll();
    await parts.relay.waitForLinks({ a: 'offline' });
    t.deepEqual(await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text: 'later' }), { status: 202, body: '3: Queued for later delivery' });
    await parts.smsc.waitFor(() => parts.smsc.submits.some((submit) => submit.shortMessage.toString('latin1') === 'later' && submit.status === 0), 60_000);
    t.is(parts.smsc.submits.filter((submit) => submit.shortMessage.toString('latin1') === 'later').length, 1, 'sent once, when the link was back');
  } finally {
    await teardown(parts);
  }
});

test('a link that binds but stops answering submits leaves the rotation, its messages go the other way, and a probe brings it back', async (t) => {
  const parts = await setup([
    { 'smsc-id': 'a', 'smsc-admin-id': 'slow', 'smsc-username': 'one', 'smsc-password': 'pw1', 'wait-ack': 1, 'health-failures': 2, 'health-probe-delay': 1 },
    { 'smsc-id': 'a', 'smsc-admin-id': 'good', 'smsc-username': 'two', 'smsc-password': 'pw2' },
  ]);
  try {
    await parts.relay.waitForLinks({ slow: 'online', good: 'online' });
    parts.smsc.behave({ drop: true }, 'one');
    const texts = Array.from({ length: 12 }, (_, i) => `m${i}`);
    for (const text of texts) t.is((await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text })).status, 202);
    await parts.relay.waitForLinks({ slow: 'offline', good: 'online' }, 60_000);
    const answered = () => new Set(parts.smsc.submits.filter((submit) => submit.status === 0).map((submit) => submit.shortMessage.toString('latin1')));
    await parts.smsc.waitFor(() => texts.every((text) => answered().has(text)), 60_000);
    const status = await parts.relay.status();
    t.is(status.links.find((link) => link.name === 'slow')?.health.state !== 'in', true);
    parts.smsc.behave({ drop: false }, 'one');
    // a probe is a message routed to the link once its delay is over: keep traffic coming
    for (let i = 0; (await parts.relay.linkStates()).slow !== 'online'; i += 1) {
      if (i > 120) return t.fail('the slow link never came back into rotation');
      await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text: `probe${i}` });
      await sleep(250);
    }
    for (let i = 0; i < 20; i += 1) await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text: `after${i}` });
    await parts.smsc.waitFor(() => parts.smsc.submits.filter((submit) => submit.shortMessage.toString('latin1').startsWith('after') && submit.status === 0).length === 20, 60_000);
    t.true(parts.smsc.submits.some((submit) => submit.account === 'one' && submit.shortMessage.toString('latin1').startsWith('after')), 'the probed link carries traffic again');
  } finally {
    await teardown(parts);
  }
});

test('throttling (0x58) slows a link down and loses nothing', async (t) => {
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1' }]);
  try {
    await parts.relay.waitForLinks({ a: 'online' });
    parts.smsc.behave({ throttleNext: 3 });
    for (let i = 0; i < 5; i += 1) await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text: `t${i}` });
    await parts.smsc.waitFor(() => new Set(parts.smsc.submits.filter((s) => s.status === 0).map((s) => s.shortMessage.toString('latin1'))).size === 5, 60_000);
    t.is(parts.smsc.submits.filter((submit) => submit.status === 0x58).length, 3);
    t.is((await parts.relay.status()).links[0]?.counters.throttled, 3);
  } finally {
    await teardown(parts);
  }
});

test('the status page shows links, queues and counters as text and JSON, behind the admin password', async (t) => {
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1' }]);
  try {
    await parts.relay.waitForLinks({ a: 'online' });
    await parts.relay.sendsms({ username: 'app', password: 'secret', to: '4917', text: 'counted' });
    await parts.smsc.waitFor(() => parts.smsc.submits.length === 1);
    const { httpGet } = await import('./helpers/gateway.js');
    t.is((await httpGet(parts.relay.ports.admin, '/status')).status, 403);
    const text = await httpGet(parts.relay.ports.admin, '/status?password=status-secret');
    t.regex(text.body, /^ {2}a +a +127\.0\.0\.1:\d+ online \d+s, queued 0, in flight 0\/10/m);
    const json = await parts.relay.status();
    t.like(json.messages, { accepted: 1, open: 0, sent: 1, failed: 0 });
    t.like(json.links[0], { name: 'a', smscId: 'a', state: 'bound', queued: 0 });
  } finally {
    await teardown(parts);
  }
});

test('50,000 deliver_sm nobody awaits (messages from phones, receipts for no message) give a bounded number of log lines', async (t) => {
  const parts = await setup([{ 'smsc-id': 'a', 'smsc-username': 'one', 'smsc-password': 'pw1', 'transceiver-mode': true }]);
  let stopped = false;
  try {
    await parts.relay.waitForLinks({ a: 'online' });
    const before = parts.relay.logs().split('\n').length;
    for (let i = 0; i < 50_000; i += 1) {
      const receipt = i % 2 === 1;
      parts.smsc.sendToBound('deliver_sm', {
        source_addr: `4917${i}`, destination_addr: '12345', esm_class: receipt ? 0x04 : 0,
        short_message: Buffer.from(receipt ? `id:${i} sub:001 dlvrd:001 submit date:2401010000 done date:2401010000 stat:DELIVRD err:000 text:x` : `hello ${i}`, 'latin1'),
      });
    }
    // the relay answers each deliver_sm before it handles it: 50,000 answers mean 50,000 handled
    await parts.smsc.waitFor(() => parts.smsc.pdus.filter((pdu) => pdu.command === 'deliver_sm_resp').length === 50_000, 120_000);
    await parts.relay.stop();
    stopped = true;
    const lines = parts.relay.logs().split('\n').slice(before - 1);
    t.true(lines.length < 40, `${lines.length} lines:\n${lines.join('\n')}`);
    t.true(lines.some((line) => /^\d+ more like this in the last \d+ s \(phone-originated messages\)/.test(line)), 'the rest are counted in a summary');
  } finally {
    if (!stopped) await parts.relay.stop();
    await parts.smsc.close();
  }
});
