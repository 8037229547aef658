import test from 'ava';
import {
  ackText,
  DLR,
  dlrEndsWait,
  dlrWanted,
  messageIdKeys,
  nackText,
  normaliseMessageId,
  parseReceipt,
  receiptDlrType,
  registeredDelivery,
  type MessageIdSource,
  type Receipt,
} from '../../../../overlays/smpp-relay/app/dlr.js';
import type { DeliverSm } from '../../../../overlays/smpp-relay/app/types.js';

function deliver(text: string, options: { esmClass?: number; tlvs?: Record<string, unknown> } = {}): DeliverSm {
  return {
    link: 'upstream',
    sourceAddr: '41791234567',
    destinationAddr: '5555',
    esmClass: options.esmClass ?? 0x04,
    dataCoding: 0,
    shortMessage: Buffer.from(text, 'latin1'),
    tlvs: options.tlvs ?? {},
  };
}

/** A receipt's fields (without raw) and its Kannel DLR type. */
const reads = test.macro({
  exec(t, pdu: DeliverSm, fields: Omit<Receipt, 'raw'>, type: number) {
    const receipt = parseReceipt(pdu);
    if (!receipt) return t.fail('not read as a receipt');
    const { raw, ...rest } = receipt;
    t.deepEqual(rest, fields);
    t.is(receiptDlrType(receipt) as number, type);
  },
  title: (given, _pdu, _fields, type: number) => `${given} reads as DLR type ${type}`,
});

test(
  'the SMPP 3.4 Appendix B receipt with 10-digit dates',
  reads,
  deliver('id:0123456789 sub:001 dlvrd:001 submit date:2401311200 done date:2401311201 stat:DELIVRD err:000 text:Hello world'),
  { id: '0123456789', sub: 1, dlvrd: 1, submitDate: '2401311200', doneDate: '2401311201', stat: 'DELIVRD', err: '000', text: 'Hello world' },
  1,
);
test(
  'a receipt with 12-digit dates and a capital Text:',
  reads,
  deliver('id:7f3a9c sub:001 dlvrd:000 submit date:240131120005 done date:240131120107 stat:UNDELIV err:001 Text:Hi'),
  { id: '7f3a9c', sub: 1, dlvrd: 0, submitDate: '240131120005', doneDate: '240131120107', stat: 'UNDELIV', err: '001', text: 'Hi' },
  2,
);
test(
  'a receipt with capitalised keys and a lower-case stat',
  reads,
  deliver('ID:abc Sub:1 Dlvrd:1 Submit Date:2401311200 Done Date:2401311201 Stat:delivrd Err:0'),
  { id: 'abc', sub: 1, dlvrd: 1, submitDate: '2401311200', doneDate: '2401311201', stat: 'delivrd', err: '0' },
  1,
);
test(
  'a receipt with vendor fields in between and underscores in the dates',
  reads,
  deliver('id:55 sub:001 dlvrd:001 submit_date:20240131120005 done_date:20240131120107 imsi:228011234567890 stat:DELIVRD mccmnc:22801 err:000 text:'),
  { id: '55', sub: 1, dlvrd: 1, submitDate: '20240131120005', doneDate: '20240131120107', stat: 'DELIVRD', err: '000', text: '' },
  1,
);
test('a receipt with only id and stat', reads, deliver('id:9 stat:ACCEPTD'), { id: '9', stat: 'ACCEPTD' }, 4);
test('ENROUTE', reads, deliver('id:9 stat:ENROUTE err:000'), { id: '9', stat: 'ENROUTE', err: '000' }, 4);
test('BUFFRED', reads, deliver('id:9 stat:BUFFRED'), { id: '9', stat: 'BUFFRED' }, 4);
test('an EXPIRED stat, which Kannel files as a failure', reads, deliver('id:9 stat:EXPIRED'), { id: '9', stat: 'EXPIRED' }, 2);
test('REJECTD', reads, deliver('id:9 stat:REJECTD'), { id: '9', stat: 'REJECTD' }, 2);
test('a receipt without a stat, which Kannel files as a failure', reads, deliver('id:9 err:000'), { id: '9', err: '000' }, 2);
test(
  'a stat inside the text does not count',
  reads,
  deliver('id:9 sub:001 dlvrd:001 stat:DELIVRD err:000 text:stat:UNDELIV id:1'),
  { id: '9', sub: 1, dlvrd: 1, stat: 'DELIVRD', err: '000', text: 'stat:UNDELIV id:1' },
  1,
);
test(
  'a receipt that esm_class does not mark, by its text',
  reads,
  deliver('id:77 sub:001 dlvrd:001 stat:DELIVRD err:000', { esmClass: 0 }),
  { id: '77', sub: 1, dlvrd: 1, stat: 'DELIVRD', err: '000' },
  1,
);
test('an intermediate notification (esm_class 0x20)', reads, deliver('id:8 stat:ENROUTE', { esmClass: 0x20 }), { id: '8', stat: 'ENROUTE' }, 4);
test('a TLV-only receipt, delivered', reads, deliver('', { tlvs: { receipted_message_id: 'ABC', message_state: 2 } }), { id: 'ABC', messageState: 2 }, 1);
test('a TLV-only receipt, expired, as Kannel\'s 0x22', reads, deliver('', { tlvs: { receipted_message_id: 'ABC', message_state: 3 } }), { id: 'ABC', messageState: 3 }, 0x22);
test('a TLV-only receipt, accepted', reads, deliver('', { tlvs: { receipted_message_id: 'ABC', message_state: 6 } }), { id: 'ABC', messageState: 6 }, 4);
test('a TLV-only receipt, rejected', reads, deliver('', { tlvs: { receipted_message_id: 'ABC', message_state: 8 } }), { id: 'ABC', messageState: 8 }, 2);
test('a TLV-only receipt with a state SMPP 3.4 lacks', reads, deliver('', { tlvs: { receipted_message_id: 'ABC', message_state: 42 } }), { id: 'ABC', messageState: 42 }, 2);
test(
  'TLVs win over the text',
  reads,
  deliver('id:111 stat:DELIVRD err:000', { tlvs: { receipted_message_id: 'X1', message_state: 5, network_error_code: Buffer.from([3, 0, 1]) } }),
  { id: 'X1', messageState: 5, networkErrorCode: Buffer.from([3, 0, 1]), stat: 'DELIVRD', err: '000' },
  2,
);
test(
  'message_state without receipted_message_id is ignored, as Kannel ignores it',
  reads,
  deliver('id:111 stat:DELIVRD', { tlvs: { message_state: 5 } }),
  { id: '111', stat: 'DELIVRD' },
  1,
);
test(
  'SMPP 5.0\'s SCHEDULED state leaves the stat to decide',
  reads,
  deliver('id:111 stat:UNDELIV', { tlvs: { receipted_message_id: '111', message_state: 0 } }),
  { id: '111', messageState: 0, stat: 'UNDELIV' },
  2,
);
test(
  'message_payload carries the text when short_message is empty',
  reads,
  deliver('', { tlvs: { message_payload: Buffer.from('id:5 stat:DELIVRD') } }),
  { id: '5', stat: 'DELIVRD' },
  1,
);

test('raw is what the SMSC sent, for %A', (t) => {
  t.deepEqual(parseReceipt(deliver('id:1 stat:DELIVRD'))?.raw, Buffer.from('id:1 stat:DELIVRD'));
  t.deepEqual(parseReceipt(deliver('', { tlvs: { receipted_message_id: 'A', message_state: 2 } }))?.raw, Buffer.alloc(0));
});

const ignores = test.macro({
  exec(t, pdu: DeliverSm) {
    t.is(parseReceipt(pdu), undefined);
  },
  title: (given) => `${given} is not a receipt`,
});

test('an MO text', ignores, deliver('hello id:1 stat:DELIVRD', { esmClass: 0 }));
test('a receipt without any id', ignores, deliver('sub:001 stat:DELIVRD'));
test('a TLV id with neither a usable state nor a text', ignores, deliver('', { tlvs: { receipted_message_id: 'A', message_state: 9 } }));

const normalises = test.macro({
  exec(t, id: string, from: MessageIdSource, msgIdType: number | undefined, expected: string) {
    t.is(normaliseMessageId(id, { from, msgIdType }), expected);
  },
  title: (given, id: string, from: MessageIdSource, msgIdType: number | undefined, expected: string) =>
    given ?? `${JSON.stringify(id)} from ${from} with msg-id-type ${msgIdType ?? 'unset'} is ${JSON.stringify(expected)}`,
});

test(normalises, '0A1b', 'submit_sm_resp', undefined, '0A1b');
test(normalises, '1A2B', 'submit_sm_resp', 1, '6699');
test(normalises, '6699', 'deliver_sm', 1, '6699');
test(normalises, '1a2b', 'deliver_sm', 3, '6699');
test(normalises, '0x1a2b', 'deliver_sm', 2, '6699');
test(normalises, '000123', 'submit_sm_resp', 2, '123');
test('an id that is not all digits is read as hex whatever the bit says', normalises, 'abc', 'submit_sm_resp', 0, '2748');
test('hex reading stops at the first non-hex character, as strtoll does', normalises, '12zz', 'deliver_sm', 2, '18');
test('an empty id is 0', normalises, '', 'deliver_sm', 0, '0');
test('an id too large for 64 bits clamps as strtoll does', normalises, 'FFFFFFFFFFFFFFFFFF', 'deliver_sm', 2, '9223372036854775807');

test('without msg-id-type an id is looked up as it came, then as hex and decimal values', (t) => {
  t.deepEqual(messageIdKeys('1A2B', { from: 'submit_sm_resp' }), ['1A2B', '6699']);
  t.deepEqual(messageIdKeys('6699', { from: 'deliver_sm' }), ['6699', '26265']);
  t.deepEqual(messageIdKeys('0123', { from: 'deliver_sm' }), ['0123', '291', '123']);
  t.deepEqual(messageIdKeys('a-b', { from: 'deliver_sm' }), ['a-b']);
});

test('with msg-id-type an id has the one key Kannel compares', (t) => {
  t.deepEqual(messageIdKeys('1A2B', { from: 'submit_sm_resp', msgIdType: 1 }), ['6699']);
});

test('the SMSC ack text is ACK/', (t) => {
  t.is(ackText(), 'ACK/');
});

const nacks = test.macro({
  exec(t, reason: number | string | undefined, text: string) {
    t.is(nackText(reason), text);
  },
  title: (given, _reason, text: string) => `${given} gives ${JSON.stringify(text)}`,
});

test('an SMPP status', nacks, 0x45, 'NACK/0x00000045/Submit failed');
test('throttling', nacks, 0x58, 'NACK/0x00000058/Throttling error');
test('RINVMSGID, which Kannel has no text for', nacks, 0x0c, 'NACK/0x0000000c/Unknown/Reserved');
test('a vendor status', nacks, 0x401, 'NACK/0x00000401/Vendor-specific error, please refer to your SMPP provider');
test('a Kannel reason', nacks, 'Retries Exceeded', 'NACK/Retries Exceeded');
test('no reason (a split message)', nacks, undefined, 'NACK/');

test('a DLR type is wanted when the mask has its bit', (t) => {
  t.true(dlrWanted(DLR.delivered, 31));
  t.false(dlrWanted(DLR.buffered, 3));
  t.true(dlrWanted(DLR.expired, 2));
  t.false(dlrWanted(DLR.smscAck, 0));
});

test('an intermediate receipt does not end the wait for a final one', (t) => {
  t.false(dlrEndsWait(DLR.buffered, 1 | 4));
  t.true(dlrEndsWait(DLR.buffered, 4));
  t.true(dlrEndsWait(DLR.delivered, 1 | 4));
  t.true(dlrEndsWait(DLR.failed, 3));
});

const registers = test.macro({
  exec(t, mask: number, value: number) {
    t.is(registeredDelivery(mask), value);
  },
  title: (_given, mask: number, value: number) => `dlr-mask ${mask} asks registered_delivery ${value}`,
});

test(registers, 0, 0);
test(registers, 1, 1);
test(registers, 2, 2);
test(registers, 3, 1);
test(registers, 4, 16);
test(registers, 7, 17);
test(registers, 8, 0);
test(registers, 31, 17);
