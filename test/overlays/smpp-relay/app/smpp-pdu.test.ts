import test from 'ava';
import smpp from 'smpp';
import { bindParams, describeStatus, keepRawOctets, rawOctets, submitParams, submitResult, toDeliverSm, unsendablePart } from '../../../../overlays/smpp-relay/app/smpp-pdu.js';
import type { SubmitPart } from '../../../../overlays/smpp-relay/app/types.js';
import { linkSettings, part } from './smpp-link-fixtures.js';

keepRawOctets();

const maps = test.macro({
  exec(t, status: number, kind: 'temporary' | 'permanent') {
    t.like(submitResult(status, undefined), { kind, status });
  },
  title: (given, status: number, kind: string) => given ?? `status ${describeStatus(status)} is ${kind}`,
});

// Kannel's smpp_status_to_smscconn_failure_reason: these four temporary, every other error permanent
test(maps, 0x14, 'temporary');
test(maps, 0x58, 'temporary');
test(maps, 0x64, 'temporary');
test(maps, 0x08, 'temporary');
test(maps, 0x0b, 'permanent');
test(maps, 0x45, 'permanent');
test(maps, 0x0d, 'permanent');
test(maps, 0x400, 'permanent');

test('status 0 is ok with the message id, empty when the SMSC gave none', (t) => {
  t.deepEqual(submitResult(0, '4f2a'), { kind: 'ok', messageId: '4f2a' });
  t.deepEqual(submitResult(0, undefined), { kind: 'ok', messageId: '' });
});

test('a status is named when the package knows it, hex always', (t) => {
  t.is(describeStatus(0x58), 'ESME_RTHROTTLED (0x58)');
  t.is(describeStatus(0x400), '0x400');
});

test('bind parameters announce SMPP 3.4 and the account', (t) => {
  t.deepEqual(bindParams(linkSettings(2775, { addressRange: '^358' })), {
    system_id: 'relay', password: 'secret', system_type: 'VMA', interface_version: 0x34, address_range: '^358', cut: [],
  });
});

test('bind parameters too long for SMPP 3.4 are cut as Kannel cuts them, and named by their kannel.conf key', (t) => {
  t.like(bindParams(linkSettings(2775, { password: 'longer-than-8', systemId: 'a-system-id-of-20-ch' })), {
    system_id: 'a-system-id-of-', password: 'longer-t', cut: ['smsc-username', 'smsc-password'],
  });
});

const unsendable = test.macro({
  exec(t, change: Partial<SubmitPart>, status: number, reason: RegExp) {
    const given = part('hi', change);
    t.like(unsendablePart(given, submitParams(given)), { kind: 'permanent', status });
    t.regex(unsendablePart(given, submitParams(given))?.reason ?? '', reason);
  },
  title: (given, _change, status: number) => `${given} fails for good with ${describeStatus(status)}`,
});

test('a sender with a NUL', unsendable, { sourceAddr: 'A\u0000B' }, smpp.errors.ESME_RINVSRCADR, /^not sent: submit_sm's source_addr has a NUL at octet 2$/);
test('a destination over 20 octets', unsendable, { destinationAddr: '9'.repeat(21) }, smpp.errors.ESME_RINVDSTADR, /destination_addr is 21 octets/);
test('a validity period that is no SMPP time', unsendable, { validityPeriod: 'soon' }, smpp.errors.ESME_RINVEXPIRY, /validity_period/);
test('a short_message over 254 octets', unsendable, { shortMessage: Buffer.alloc(255) }, smpp.errors.ESME_RINVMSGLEN, /short_message of 255 octets/);

test('submit_sm carries the part, its octets untouched, and the optional fields only when given', (t) => {
  const octets = Buffer.from([0x00, 0x1b, 0xff]);
  const pdu = new smpp.PDU('submit_sm', submitParams(part('', { shortMessage: octets, dataCoding: 0 })));
  const decoded = new smpp.PDU(pdu.toBuffer());
  t.deepEqual(rawOctets(decoded, 'short_message'), octets);
  t.like(decoded, { source_addr: 'McDebian', source_addr_ton: 5, destination_addr: '358401234567', dest_addr_ton: 1, data_coding: 0 });
  const withOptions = submitParams(part('x', { protocolId: 0x41, priorityFlag: 1, validityPeriod: '000001000000000R' }));
  t.like(withOptions, { protocol_id: 0x41, priority_flag: 1, validity_period: '000001000000000R' });
  t.false('schedule_delivery_time' in withOptions);
});

test('a decoded deliver_sm keeps its raw octets and TLVs', (t) => {
  const octets = Buffer.from([0x00, 0x1b, 0x65, 0x80, 0xff]);
  const sent = new smpp.PDU('deliver_sm', {
    source_addr: '358401', destination_addr: '12345', esm_class: 0x04, data_coding: 0, short_message: octets,
    receipted_message_id: 'ab12', message_state: 2,
  });
  const received = new smpp.PDU(sent.toBuffer());
  t.notDeepEqual(received.short_message, octets, 'the package decodes it into something else');
  t.deepEqual(toDeliverSm('upstream', received), {
    link: 'upstream', sourceAddr: '358401', destinationAddr: '12345', esmClass: 0x04, dataCoding: 0, shortMessage: octets,
    tlvs: { receipted_message_id: 'ab12', message_state: 2 },
  });
});
