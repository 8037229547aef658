import test from 'ava';
import { MalformedPart, relativeTime, submitPartFor } from '../../../../overlays/smpp-relay/app/parts.js';
import type { StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
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

test('an address longer than submit_sm carries is a MalformedPart', (t) => {
  t.throws(() => submitPartFor(message({ to: `+${'1'.repeat(21)}` }), 0, LINK), { instanceOf: MalformedPart });
  t.throws(() => submitPartFor(message({ from: 'A'.repeat(21) }), 0, LINK), { instanceOf: MalformedPart });
  t.notThrows(() => submitPartFor(message({ to: `+${'1'.repeat(20)}`, from: 'A'.repeat(20) }), 0, LINK));
});
