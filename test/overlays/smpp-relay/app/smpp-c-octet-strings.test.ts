import test from 'ava';
import { cOctetStringProblem, cutToField } from '../../../../overlays/smpp-relay/app/smpp-c-octet-strings.js';
import { submitParams } from '../../../../overlays/smpp-relay/app/smpp-pdu.js';
import type { SubmitPart } from '../../../../overlays/smpp-relay/app/types.js';
import { part } from './smpp-link-fixtures.js';

const guards = test.macro({
  exec(t, change: Partial<SubmitPart>, expected: { field: string; problem: RegExp } | undefined) {
    const found = cOctetStringProblem('submit_sm', submitParams(part('hi', change)));
    if (!expected) return t.is(found, undefined);
    t.is(found?.field, expected.field);
    t.regex(found?.problem ?? '', expected.problem);
  },
  title: (given, change: Partial<SubmitPart>, expected: { field: string } | undefined) => `${given}: ${JSON.stringify(change)} ${expected ? `is refused for ${expected.field}` : 'passes'}`,
});

test('a well-formed part', guards, {}, undefined);
test('the issue\'s sender with NULs', guards, { sourceAddr: 'A\u0000\u0001\u000199999\u0000' }, { field: 'source_addr', problem: /NUL at octet 2/ });
test('a character whose low octet is NUL (the package keeps the low octet)', guards, { sourceAddr: 'A\u0100B' }, { field: 'source_addr', problem: /beyond one octet/ });
test('a destination of 21 octets', guards, { destinationAddr: '1'.repeat(21) }, { field: 'destination_addr', problem: /21 octets, at most 20/ });
test('a destination of 20 octets', guards, { destinationAddr: '1'.repeat(20) }, undefined);
test('a validity period that is no SMPP time', guards, { validityPeriod: '1h' }, { field: 'validity_period', problem: /not an SMPP time/ });
test('a validity period with a NUL', guards, { validityPeriod: '000001000000000\u0000' }, { field: 'validity_period', problem: /NUL/ });
test('a schedule of 17 characters', guards, { scheduleDeliveryTime: '000001000000000R0' }, { field: 'schedule_delivery_time', problem: /17 octets, at most 16/ });
test('relative times as parts.ts makes them', guards, { validityPeriod: '000001000000000R', scheduleDeliveryTime: '000000010000000R' }, undefined);

test('service_type, message ids and bind fields have their limits too', (t) => {
  t.like(cOctetStringProblem('submit_sm', { service_type: 'CMT\u0000X' }), { field: 'service_type' });
  t.like(cOctetStringProblem('submit_sm', { service_type: 'ABCDEF' }), { field: 'service_type', problem: 'is 6 octets, at most 5' });
  t.like(cOctetStringProblem('deliver_sm_resp', { message_id: 'x'.repeat(65) }), { field: 'message_id' });
  t.like(cOctetStringProblem('bind_transmitter', { password: '123456789' }), { field: 'password', problem: 'is 9 octets, at most 8' });
  t.is(cOctetStringProblem('bind_transmitter', { system_id: 'relay', password: 'secret' }), undefined);
});

test('a field not given, or of a command without strings, passes; a NUL in a field without a known limit does not', (t) => {
  t.is(cOctetStringProblem('enquire_link', {}), undefined);
  t.is(cOctetStringProblem('submit_sm', {}), undefined);
  t.like(cOctetStringProblem('query_sm', { message_id: 'a\u0000b' }), { field: 'message_id', problem: 'has a NUL at octet 2' });
});

test('a configured bind value is cut to its field as Kannel cuts it', (t) => {
  t.is(cutToField('bind_transmitter', 'password', '1234567890'), '12345678');
  t.is(cutToField('bind_transmitter', 'system_id', 'relay'), 'relay');
  t.is(cutToField('enquire_link', 'anything', 'as it is'), 'as it is');
});
