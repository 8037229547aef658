import test from 'ava';
import { MalformedPart, relativeTime, submitPartFor } from '../../../../overlays/smpp-relay/app/parts.js';
import type { StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
import type { LinkSettings } from '../../../../overlays/smpp-relay/app/types.js';
import { linkSettings } from './smpp-link-fixtures.js';

const LINK = linkSettings(2775);

function message(change: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: 'm',
    user: 'app',
    from: '+4915',
    to: '+358401234567',
    dataCoding: 0,
    esmClass: 0x40,
    parts: [Buffer.from([5, 0, 3, 7, 2, 1, 0x41]).toString('base64'), Buffer.from([5, 0, 3, 7, 2, 2, 0x42]).toString('base64')],
    dlrMask: 0,
    text: 'AB',
    coding: 0,
    acceptedAt: 0,
    ...change,
  };
}

const relative = test.macro({
  exec(t, minutes: number, expected: string) {
    t.is(relativeTime(minutes), expected);
    t.is(expected.length, 16);
  },
  title: (_given, minutes: number, expected: string) => `${minutes} minutes are ${expected} in SMPP's relative form`,
});

test(relative, 0, '000000000000000R');
test(relative, 5, '000000000500000R');
test(relative, 90, '000000013000000R');
test(relative, 1440, '000001000000000R');
test(relative, 2 * 1440 + 23 * 60 + 59, '000002235900000R');
test(relative, 200 * 1440 + 61, '000099010100000R');

test('a part is submitted with the link\'s addresses, store-and-forward under the message\'s esm_class, and its own octets', (t) => {
  const part = submitPartFor(message(), 1, LINK);
  t.deepEqual(part, {
    sourceAddr: '4915',
    sourceAddrTon: 1,
    sourceAddrNpi: 1,
    destinationAddr: '358401234567',
    destAddrTon: 1,
    destAddrNpi: 1,
    dataCoding: 0,
    esmClass: 0x43,
    shortMessage: Buffer.from([5, 0, 3, 7, 2, 2, 0x42]),
    registeredDelivery: 0,
  });
});

test('pid, priority, validity and deferred go into the submit', (t) => {
  const part = submitPartFor(message({ protocolId: 64, priority: 3, validityMinutes: 90, deferredMinutes: 5 }), 0, LINK);
  t.like(part, { protocolId: 64, priorityFlag: 3, validityPeriod: '000000013000000R', scheduleDeliveryTime: '000000000500000R' });
});

const receipts = test.macro({
  exec(t, change: Partial<StoredMessage>, expected: [number, number]) {
    const stored = message(change);
    t.deepEqual([submitPartFor(stored, 0, LINK).registeredDelivery, submitPartFor(stored, 1, LINK).registeredDelivery], expected);
  },
  title: (given, _change, expected: [number, number]) => `${given}: registered_delivery ${expected[0]} on part 0 and ${expected[1]} on part 1`,
});

const URL = 'http://app.example/dlr';
test('dlr-mask 1', receipts, { dlrMask: 1, dlrUrl: URL }, [1, 0]);
test('dlr-mask 3', receipts, { dlrMask: 3, dlrUrl: URL }, [1, 0]);
test('dlr-mask 2 (failures only)', receipts, { dlrMask: 2, dlrUrl: URL }, [2, 0]);
test('dlr-mask 4 (intermediate)', receipts, { dlrMask: 4, dlrUrl: URL }, [16, 0]);
test('dlr-mask 7', receipts, { dlrMask: 7, dlrUrl: URL }, [17, 0]);
test('dlr-mask 24 (SMSC ack and nack only)', receipts, { dlrMask: 24, dlrUrl: URL }, [0, 0]);
test('dlr-mask 1 without a dlr-url', receipts, { dlrMask: 1 }, [0, 0]);

const malformed = test.macro({
  exec(t, change: Partial<StoredMessage>, linkChange: Partial<LinkSettings>, pattern: RegExp | undefined) {
    const link = linkSettings(2775, linkChange);
    if (pattern) t.throws(() => submitPartFor(message(change), 0, link), { instanceOf: MalformedPart, message: pattern });
    else t.notThrows(() => submitPartFor(message(change), 0, link));
  },
  title: (given, change: Partial<StoredMessage>, _link, pattern: RegExp | undefined) => `${given}: ${JSON.stringify(change)} ${pattern ? 'is a MalformedPart' : 'goes'}`,
});

test('a receiver of 21 digits after the +', malformed, { to: `+${'1'.repeat(21)}` }, {}, /longer than the 20 octets/);
test('a receiver of 20 digits after the +', malformed, { to: `+${'1'.repeat(20)}` }, {}, undefined);
test('a numeric sender of 21 digits', malformed, { from: '1'.repeat(21) }, {}, /longer than the 20 octets/);
test('a numeric sender of 20 digits', malformed, { from: '1'.repeat(20) }, {}, undefined);
test('an alphanumeric sender of 12 characters', malformed, { from: 'A'.repeat(12) }, {}, /alphanumeric "AAAAAAAAAAAA" is longer than 11 characters/);
test('an alphanumeric sender of 11 characters', malformed, { from: 'A'.repeat(11) }, {}, undefined);
test('a sender with a NUL (stored before sendsms refused it)', malformed, { from: 'A\u0000\u0001\u000199999' }, {}, /control characters/);
test('a receiver with a control character', malformed, { to: '4917\u001b' }, {}, /control characters/);
test('a numeric sender of 12 digits on a link forcing TON 5', malformed, { from: '1'.repeat(12) }, { sourceAddrTon: 5, sourceAddrNpi: 0 }, /alphanumeric/);
