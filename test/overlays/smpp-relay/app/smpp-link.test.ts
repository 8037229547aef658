/**
 * SmppLink against the SMSC simulator on loopback: binds, the window, wait-ack, link loss,
 * throttling, throughput, keep-alive, the SMSC's own PDUs, stop. Timing assertions are lower
 * bounds only (a timer never fires early; a loaded machine only makes things later).
 */
import test from 'ava';
import smpp from 'smpp';
import type { DeliverSm, SubmitResult } from '../../../../overlays/smpp-relay/app/types.js';
import { deliverAll, hasLine, part, reach, setUp, submitAll } from './smpp-link-fixtures.js';

const LOST = { kind: 'temporary', reason: 'link lost before the SMSC answered' };

test('binds as a transmitter, announcing SMPP 3.4 and the account', async (t) => {
  const { sim, link, states } = await setUp(t);
  await reach(link, 'bound');
  t.like(sim.binds[0], { bindType: 'transmitter', interfaceVersion: 0x34, systemId: 'relay', password: 'secret', systemType: 'VMA', status: 0 });
  t.deepEqual(states, ['connecting', 'bound']);
  t.true(link.canSend());
  t.is(typeof link.boundSince, 'number');
});

test('binds as a transceiver in transceiver mode', async (t) => {
  const { sim, link } = await setUp(t, { settings: { transceiver: true } });
  await reach(link, 'bound');
  t.like(sim.binds[0], { bindType: 'transceiver', interfaceVersion: 0x34 });
});

test('a refused bind is logged by its status name and tried again, waiting longer each time', async (t) => {
  const { sim, link, log } = await setUp(t, { settings: { password: 'wrong', reconnectDelay: 0.2 } });
  await sim.waitFor(() => sim.binds.length >= 3);
  t.true(sim.binds.every((bind) => bind.status === smpp.errors.ESME_RINVPASWD));
  t.true(hasLine(log, 'error: SMPP[upstream]: cannot bind to 127.0.0.1:'));
  t.true(hasLine(log, 'bind refused: ESME_RINVPASWD (0x0e)'));
  const at = sim.pdus.filter((pdu) => pdu.command === 'bind_transmitter').map((pdu) => pdu.at);
  t.true(at[1]! - at[0]! >= 190, `first wait ${at[1]! - at[0]!} ms`);
  t.true(at[2]! - at[1]! >= 390, `second wait ${at[2]! - at[1]!} ms`);
  t.not(link.state, 'bound');
  t.regex(link.counters.lastError?.text ?? '', /ESME_RINVPASWD/);
});

test('an unknown system id is refused with ESME_RINVSYSID; binds refused for a while succeed later', async (t) => {
  const unknown = await setUp(t, { settings: { systemId: 'nobody' } });
  await unknown.sim.waitFor(() => unknown.sim.binds.length >= 1);
  t.is(unknown.sim.binds[0]!.status, smpp.errors.ESME_RINVSYSID);

  const { sim, link } = await setUp(t, { start: false });
  sim.refuseBinds(300);
  link.start();
  await reach(link, 'bound');
  t.is(sim.binds[0]!.status, smpp.errors.ESME_RBINDFAIL);
  t.is(sim.binds.at(-1)!.status, 0);
});

test('a burst never has more submits unanswered than max-pending-submits', async (t) => {
  const { sim, link } = await setUp(t, { settings: { maxPendingSubmits: 5 }, simulator: { behaviour: { delayMs: 30 } } });
  await reach(link, 'bound');
  let most = 0;
  link.on('ready', () => (most = Math.max(most, link.inFlight)));
  const results = await submitAll(link, Array.from({ length: 40 }, (_, i) => part(`burst ${i}`)));
  t.true(results.every((result) => result.kind === 'ok'));
  t.is(sim.maxOutstanding(), 5);
  t.true(most <= 5);
  t.like(link.counters, { submitted: 40, acked: 40, failedTemporary: 0 });
});

test('the part goes as given: addresses, coding, esm_class, registered_delivery and the raw octets', async (t) => {
  const { sim, link } = await setUp(t);
  await reach(link, 'bound');
  const octets = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0x00, 0x1b, 0x3c, 0x80, 0xff]);
  const [result] = await submitAll(link, [part('', { shortMessage: octets, dataCoding: 0xf5, esmClass: 0x40, registeredDelivery: 1 })]);
  t.like(sim.submits[0], { sourceAddr: 'McDebian', destinationAddr: '358401234567', dataCoding: 0xf5, esmClass: 0x40, registeredDelivery: 1 });
  t.deepEqual(sim.submits[0]!.shortMessage, octets);
  t.deepEqual(result, { kind: 'ok', messageId: sim.submits[0]!.messageId! });
});

for (const messageIds of ['hex', 'uuid', 'none'] as const) {
  test(`the message id comes back as the SMSC gave it (${messageIds})`, async (t) => {
    const { sim, link } = await setUp(t, { simulator: { behaviour: { messageIds } } });
    await reach(link, 'bound');
    const [result] = await submitAll(link, [part()]);
    t.deepEqual(result, { kind: 'ok', messageId: sim.submits[0]!.messageId! });
  });
}

test('a part whose C-Octet Strings would corrupt submit_sm fails for good and never reaches the socket', async (t) => {
  const { sim, link } = await setUp(t);
  await reach(link, 'bound');
  const smuggling = part('smuggled', { sourceAddr: 'A\u0000\u0001\u000199999\u0000', registeredDelivery: 0 });
  const results = await submitAll(link, [smuggling, part('late', { validityPeriod: '1 day' }), part('fine')]);
  t.like(results[0], { kind: 'permanent', status: smpp.errors.ESME_RINVSRCADR });
  t.like(results[1], { kind: 'permanent', status: smpp.errors.ESME_RINVEXPIRY });
  t.like(results[2], { kind: 'ok' });
  t.deepEqual(sim.submits.map((submit) => [submit.sourceAddr, submit.destinationAddr, submit.registeredDelivery, submit.shortMessage.toString('latin1')]), [['McDebian', '358401234567', 0, 'fine']]);
  t.is(link.state, 'bound');
});

test('a bind password longer than SMPP allows goes cut to 8 characters, as Kannel sends it, with a warning', async (t) => {
  const { sim, link, log } = await setUp(t, { settings: { password: 'secret-and-more' } });
  await sim.waitFor(() => sim.binds.length >= 1);
  t.is(sim.binds[0]!.password, 'secret-a');
  t.true(hasLine(log, 'warn: SMPP[upstream]: smsc-password longer than SMPP 3.4\'s bind allows: sent cut to fit, as Kannel does'));
  await link.stop();
});

test('error statuses are temporary or permanent as in Kannel', async (t) => {
  const { sim, link } = await setUp(t);
  await reach(link, 'bound');
  sim.behave({ status: smpp.errors.ESME_RINVDSTADR });
  const [refused] = await submitAll(link, [part()]);
  sim.behave({ status: smpp.errors.ESME_RMSGQFUL });
  const [full] = await submitAll(link, [part()]);
  t.deepEqual(refused, { kind: 'permanent', status: 0x0b, reason: 'the SMSC answered ESME_RINVDSTADR (0x0b)' });
  t.deepEqual(full, { kind: 'temporary', status: 0x14, reason: 'the SMSC answered ESME_RMSGQFUL (0x14)' });
  t.like(link.counters, { failedPermanent: 1, failedTemporary: 1 });
});

test('wait-ack expiry with reconnect: the late submit is temporary, the link is dropped and bound again', async (t) => {
  const { sim, link } = await setUp(t, { settings: { waitAck: 0.3 }, simulator: { behaviour: { drop: true } } });
  await reach(link, 'bound');
  const results = await submitAll(link, [part('one'), part('two')]);
  t.deepEqual(results[0], { kind: 'temporary', reason: 'no response within wait-ack 0.3 s' });
  t.deepEqual(results[1], LOST);
  sim.behave({ drop: false });
  await reach(link, 'bound');
  t.is(sim.binds.length, 2);
  t.is(link.counters.timeouts, 1);
});

test('wait-ack expiry with requeue frees the slot, stays bound, and ignores the late answer', async (t) => {
  const { sim, link, log } = await setUp(t, { settings: { waitAck: 0.2, waitAckExpire: 'requeue' }, simulator: { behaviour: { delayMs: 500 } } });
  await reach(link, 'bound');
  const [result] = await submitAll(link, [part()]);
  t.deepEqual(result, { kind: 'temporary', reason: 'no response within wait-ack 0.2 s' });
  t.is(link.inFlight, 0);
  t.true(link.canSend());
  await sim.waitFor(() => hasLine(log, 'which no submit waits for: ignored'));
  t.is(link.state, 'bound');
  t.is(sim.binds.length, 1);
});

test('wait-ack expiry with wait keeps the part in the window until its answer comes', async (t) => {
  const { sim, link } = await setUp(t, { settings: { waitAck: 0.2, waitAckExpire: 'wait' }, simulator: { behaviour: { delayMs: 600 } } });
  await reach(link, 'bound');
  const pending = link.submit(part());
  await sim.waitFor(() => link.counters.timeouts === 1);
  t.is(link.inFlight, 1);
  t.deepEqual(await pending, { kind: 'ok', messageId: sim.submits[0]!.messageId! });
  t.is(sim.binds.length, 1);
});

test('wait-ack expiry with wait drops the link when the whole window is overdue', async (t) => {
  const { sim, link } = await setUp(t, { settings: { waitAck: 0.2, waitAckExpire: 'wait', maxPendingSubmits: 2 }, simulator: { behaviour: { drop: true } } });
  await reach(link, 'bound');
  const results = await submitAll(link, [part('one'), part('two')]);
  t.deepEqual(results, [LOST, LOST]);
  await sim.waitFor(() => sim.binds.length === 2);
});

test('a link lost mid-window settles every unanswered submit at once, then binds again', async (t) => {
  const { sim, link } = await setUp(t, { settings: { maxPendingSubmits: 5 }, simulator: { behaviour: { drop: true } } });
  await reach(link, 'bound');
  const settledAt: number[] = [];
  const pending = Array.from({ length: 5 }, (_, i) => link.submit(part(`window ${i}`)).then((result) => {
    settledAt.push(Date.now());
    return result;
  }));
  await sim.waitFor(() => sim.maxOutstanding() === 5);
  const lostAt = Date.now();
  sim.disconnectAll();
  t.deepEqual(await Promise.all(pending), Array.from({ length: 5 }, () => LOST));
  t.true(Math.max(...settledAt) - lostAt < 2000, 'settled on the loss, not on wait-ack (10 s)');
  await reach(link, 'bound');
  t.is(sim.binds.length, 2);
  t.like(link.counters, { submitted: 5, failedTemporary: 5, reconnects: 1 });
  t.is(link.inFlight, 0);
});

test('throttling pauses sending, 1 s then 2 s while it goes on, and loses nothing', async (t) => {
  const { sim, link, log } = await setUp(t, { settings: { maxPendingSubmits: 1 }, simulator: { behaviour: { throttleNext: 2 } } });
  await reach(link, 'bound');
  const results = await deliverAll(link, [part('a'), part('b'), part('c')]);
  t.true(results.every((result) => result.kind === 'ok'));
  // the driver, like the relay, puts a temporary failure back at the end of the queue
  t.deepEqual(sim.submits.map((submit) => submit.shortMessage.toString()).sort(), ['a', 'a', 'b', 'b', 'c']);
  const at = sim.submits.map((submit) => submit.at);
  t.true(at[1]! - at[0]! >= 950, `first pause ${at[1]! - at[0]!} ms`);
  t.true(at[2]! - at[1]! >= 1950, `second pause ${at[2]! - at[1]!} ms`);
  t.true(hasLine(log, 'the SMSC is throttling (ESME_RTHROTTLED): no submits for 1 s'));
  t.like(link.counters, { throttled: 2, acked: 3 });
});

test('throughput holds submits to the rate after a burst of one second', async (t) => {
  const { sim, link } = await setUp(t, { settings: { throughput: 20, maxPendingSubmits: 10 } });
  await reach(link, 'bound');
  const started = Date.now();
  const results = await submitAll(link, Array.from({ length: 40 }, (_, i) => part(`rate ${i}`)));
  const elapsed = Date.now() - started;
  t.true(results.every((result) => result.kind === 'ok'));
  // 20 at once, the other 20 at 20/s: at least about one second
  t.true(elapsed >= 900, `40 submits in ${elapsed} ms`);
  // what the SMSC got in the first 0.5 s was sent in it: at most 20 + 0.5 * 20
  const firstHalfSecond = sim.submits.filter((submit) => submit.at - started < 500).length;
  t.true(firstHalfSecond <= 31, `${firstHalfSecond} submits in the first 0.5 s`);
});

test('an idle link sends enquire_link and stays bound while the SMSC answers', async (t) => {
  // the answer may take up to 0.4 s too: roomy enough for a loaded machine
  const { sim, link } = await setUp(t, { settings: { enquireLinkInterval: 0.4 } });
  await reach(link, 'bound');
  await sim.waitFor(() => sim.pdus.filter((pdu) => pdu.command === 'enquire_link').length >= 2);
  t.is(link.state, 'bound');
  t.is(sim.binds.length, 1);
});

test('a link whose SMSC answers nothing, enquire_link included, is found dead and bound again', async (t) => {
  const { sim, link, log } = await setUp(t, { settings: { enquireLinkInterval: 0.2, connectionTimeout: 1 } });
  await reach(link, 'bound');
  sim.behave({ silent: true });
  await reach(link, 'reconnecting');
  t.true(hasLine(log, 'lost: no answer to enquire_link within 0.2 s: dead link'));
  t.true(sim.pdus.some((pdu) => pdu.command === 'enquire_link'));
  sim.behave({ silent: false });
  await reach(link, 'bound', 30_000);
  t.true(sim.binds.length >= 2);
});

test('with enquire_link off, connection-timeout alone finds a silent SMSC dead', async (t) => {
  const { sim, link, log } = await setUp(t, { settings: { enquireLinkInterval: 0, connectionTimeout: 0.5 } });
  await reach(link, 'bound');
  sim.behave({ silent: true });
  await reach(link, 'reconnecting');
  t.true(hasLine(log, 'lost: nothing from the SMSC in 0.5 s (connection-timeout)'));
  t.false(sim.pdus.some((pdu) => pdu.command === 'enquire_link'));
});

test('receipts arrive as deliver events with their raw octets and TLVs, answered', async (t) => {
  const { sim, link } = await setUp(t, { settings: { transceiver: true }, simulator: { behaviour: { receiptTlvs: true } } });
  await reach(link, 'bound');
  const delivered = new Promise<DeliverSm>((resolve) => link.once('deliver', resolve));
  const [result] = await submitAll(link, [part('hello receipt', { registeredDelivery: 1 })]);
  const receipt = await delivered;
  const id = (result as Extract<SubmitResult, { kind: 'ok' }>).messageId;
  t.like(receipt, { link: 'upstream', sourceAddr: '358401234567', destinationAddr: 'McDebian', esmClass: 0x04 });
  const text = new RegExp(`^id:${id} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:hello receipt$`);
  t.regex(receipt.shortMessage.toString('latin1'), text);
  t.like(receipt.tlvs, { receipted_message_id: id, message_state: 2 });
  await sim.waitFor(() => sim.pdus.some((pdu) => pdu.command === 'deliver_sm_resp' && pdu.status === 0));
});

test('a deliver_sm keeps octets the package would decode away', async (t) => {
  const { sim, link } = await setUp(t, { settings: { transceiver: true } });
  await reach(link, 'bound');
  const delivered = new Promise<DeliverSm>((resolve) => link.once('deliver', resolve));
  const octets = Buffer.from([0x00, 0x1b, 0x65, 0x80, 0xff, 0x7f]);
  sim.sendToBound('deliver_sm', { source_addr: '35840111', destination_addr: '12345', data_coding: 0, short_message: octets });
  const mo = await delivered;
  t.deepEqual(mo.shortMessage, octets);
  t.like(mo, { sourceAddr: '35840111', destinationAddr: '12345', dataCoding: 0, esmClass: 0 });
});

test('the SMSC\'s enquire_link is answered, and an unknown command gets generic_nack ESME_RINVCMDID', async (t) => {
  const { sim, link } = await setUp(t);
  await reach(link, 'bound');
  sim.sendToBound('enquire_link');
  await sim.waitFor(() => sim.pdus.some((pdu) => pdu.command === 'enquire_link_resp'));
  const unknown = Buffer.alloc(16);
  unknown.writeUInt32BE(16, 0);
  unknown.writeUInt32BE(0x00000777, 4);
  unknown.writeUInt32BE(42, 12);
  sim.sendRaw(unknown);
  await sim.waitFor(() => sim.pdus.some((pdu) => pdu.command === 'generic_nack'));
  t.like(sim.pdus.find((pdu) => pdu.command === 'generic_nack'), { status: smpp.errors.ESME_RINVCMDID, sequence: 42 });
  t.is(link.state, 'bound');
});

test('the SMSC\'s unbind is answered and the link binds again', async (t) => {
  const { sim, link } = await setUp(t);
  await reach(link, 'bound');
  sim.sendToBound('unbind');
  await sim.waitFor(() => sim.pdus.some((pdu) => pdu.command === 'unbind_resp'));
  await sim.waitFor(() => sim.binds.length === 2 && link.state === 'bound');
  t.deepEqual(sim.binds.map((bind) => bind.status), [0, 0], 'bound again after the SMSC unbound it');
});

test('a PDU too long for the package (it stops reading) drops the connection and binds again', async (t) => {
  const { sim, link, log } = await setUp(t);
  await reach(link, 'bound');
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(100_000, 0);
  sim.sendRaw(huge);
  await sim.waitFor(() => sim.binds.length === 2 && link.state === 'bound');
  t.true(hasLine(log, 'PDU length was too large'));
});

const impossibleLength = test.macro({
  async exec(t, commandLength: number) {
    // nothing else would end the link within the test: wait-ack, enquire_link and connection-timeout are all a minute or more
    const { sim, link, log } = await setUp(t, { settings: { waitAck: 60, enquireLinkInterval: 60, connectionTimeout: 120 }, simulator: { behaviour: { drop: true } } });
    await reach(link, 'bound');
    const pending = [link.submit(part('one')), link.submit(part('two'))];
    await sim.waitFor(() => sim.submits.length === 2);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(commandLength, 0);
    header.writeUInt32BE(0x80000004, 4);
    sim.sendRaw(header);
    await reach(link, 'reconnecting', 20_000);
    t.deepEqual(await Promise.all(pending), [LOST, LOST], 'what was in flight goes elsewhere, as on any link loss');
    t.true(hasLine(log, commandLength < 16 ? `PDU length was too small (${commandLength}, minimum is 16)` : `PDU length was too large (${commandLength}, maximum is 7424)`));
    await reach(link, 'bound', 20_000);
    t.is(sim.binds.length, 2);
  },
  title: (_given, commandLength: number) => `a command_length of ${commandLength} is a protocol error: the link drops at once, settles its window, and binds again`,
});

test(impossibleLength, 0);
test(impossibleLength, 1);
test(impossibleLength, 15);
test(impossibleLength, 7425);
test(impossibleLength, 0xffffffff);

test('stop() unbinds, settles what is unanswered, and stays down', async (t) => {
  const { sim, link, states } = await setUp(t, { simulator: { behaviour: { drop: true } } });
  await reach(link, 'bound');
  const pending = link.submit(part());
  await sim.waitFor(() => sim.submits.length === 1);
  await link.stop();
  t.deepEqual(await pending, { kind: 'temporary', reason: 'link stopped before the SMSC answered' });
  t.true(sim.pdus.some((pdu) => pdu.command === 'unbind'));
  t.is(link.state, 'stopped');
  t.deepEqual(states, ['connecting', 'bound', 'stopped']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(sim.binds.length, 1);
});

test('submit() when the link cannot send rejects', async (t) => {
  const { link } = await setUp(t, { start: false });
  await t.throwsAsync(link.submit(part()), { message: /cannot submit now: the link is stopped/ });
  t.false(link.canSend());
});
