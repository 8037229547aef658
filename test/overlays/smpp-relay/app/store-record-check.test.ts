import test from 'ava';
import { storeRecordProblem } from '../../../../overlays/smpp-relay/app/store-record-check.js';
import type { StoreRecord } from '../../../../overlays/smpp-relay/app/store.js';
import { storedMessage } from './message-fixtures.js';

const message = storedMessage('m1', 2, { userName: 'App', smscId: 'carrier', dlrUrl: 'http://app.example/dlr', dlrMask: 3, charset: 'UTF-8', udh: '050003010201', protocolId: 0, priority: 3, validityMinutes: 10, deferredMinutes: 0 });
const { parts: _parts, ...withoutParts } = message;

/** One record of every kind, as the store writes them. */
const RECORDS: StoreRecord[] = [
  { t: 'accept', m: message },
  { t: 'accept', m: storedMessage('m2') },
  { t: 'sent', id: 'm1', p: 0, link: 'a', mid: '', at: 1 },
  { t: 'failed', id: 'm1', p: 1, status: 0x45, reason: 'submit failed', at: 2 },
  { t: 'failed', id: 'm1', p: 1, reason: 'no link may carry this smsc-id any more', at: 2 },
  { t: 'wait', w: { key: 'a\u0000X', messageId: 'm1', part: 0, link: 'a', smscMessageId: 'X', submittedAt: 3, message: withoutParts } },
  { t: 'receipt', key: 'a\u0000X' },
  { t: 'post', post: { key: 'p', url: 'http://app.example/dlr?type=1', createdAt: 4 } },
  { t: 'posted', key: 'p' },
];

test('every kind of record the store writes passes, after a round trip through JSON', (t) => {
  t.deepEqual(RECORDS.map((record) => storeRecordProblem(JSON.parse(JSON.stringify(record)))), RECORDS.map(() => undefined));
});

test('fields the relay does not read are let through (a newer version that only added fields)', (t) => {
  t.is(storeRecordProblem({ t: 'posted', key: 'p', by: 'v2' }), undefined);
});

const refuses = test.macro({
  exec(t, value: unknown, problem: string) {
    t.is(storeRecordProblem(value), problem);
  },
  title: (given) => `refused: ${given}`,
});

test('not an object', refuses, null, 'the record is not an object');
test('a list', refuses, [{ t: 'posted' }], 'the record is not an object');
test('an unknown type', refuses, { t: 'deleted', key: 'p' }, 'unknown record type "deleted"');
test('no type', refuses, { key: 'p' }, 'unknown record type undefined');
test('a type named like an Object property', refuses, { t: 'constructor' }, 'unknown record type "constructor"');
test('an accept without its message', refuses, { t: 'accept' }, 'accept.m is not an object');
test('a message without parts', refuses, { t: 'accept', m: { ...message, parts: [] } }, 'accept.m.parts is not a list of at least 1');
test('a part that is not a string', refuses, { t: 'accept', m: { ...message, parts: ['aGk=', 7] } }, 'accept.m.parts[1] is not a string');
test('a recipient that is a number', refuses, { t: 'accept', m: { ...message, to: 4917 } }, 'accept.m.to is not a string');
test('a data coding above 255', refuses, { t: 'accept', m: { ...message, dataCoding: 256 } }, 'accept.m.dataCoding is not an integer from 0 to 255');
test('an optional field of the wrong type', refuses, { t: 'accept', m: { ...message, dlrUrl: 1 } }, 'accept.m.dlrUrl is not a string');
test('a part index that is negative', refuses, { t: 'sent', id: 'm1', p: -1, link: 'a', mid: 'X', at: 1 }, 'sent.p is not an integer from 0 to 9007199254740991');
test('a part index that is a string', refuses, { t: 'failed', id: 'm1', p: '0', reason: 'x', at: 1 }, 'failed.p is not an integer from 0 to 9007199254740991');
test('a wait whose message is missing', refuses, { t: 'wait', w: { key: 'k', messageId: 'm1', part: 0, link: 'a', smscMessageId: 'X', submittedAt: 3 } }, 'wait.w.message is not an object');
test('a post without a URL', refuses, { t: 'post', post: { key: 'p', createdAt: 4 } }, 'post.post.url is not a string');
test('a receipt whose key is null', refuses, { t: 'receipt', key: null }, 'receipt.key is not a string');
