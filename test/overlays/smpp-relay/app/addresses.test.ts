import test from 'ava';
import { destinationAddress, receiverProblem, senderProblem, sourceAddress, type Address } from '../../../../overlays/smpp-relay/app/addresses.js';
import type { LinkSettings } from '../../../../overlays/smpp-relay/app/types.js';

type Forced = Pick<LinkSettings, 'sourceAddrTon' | 'sourceAddrNpi' | 'destAddrTon' | 'destAddrNpi'>;

/** Cases checked against msg_to_pdu() in Kannel 1.4.5's gw/smsc/smsc_smpp.c, autodetect-addr on. */
const source = test.macro({
  exec(t, from: string, link: Forced, expected: Address) {
    t.deepEqual(sourceAddress(from, link), expected);
  },
  title: (given, from: string, _link, expected: Address) => `${given}: sender ${JSON.stringify(from)} goes as ${JSON.stringify(expected.addr)} TON ${expected.ton} NPI ${expected.npi}`,
});

test('a national number', source, '0401234567', {}, { addr: '0401234567', ton: 2, npi: 1 });
test('a number with + is international, without the +', source, '+358401234567', {}, { addr: '358401234567', ton: 1, npi: 1 });
test('a name is alphanumeric', source, 'McDebian', {}, { addr: 'McDebian', ton: 5, npi: 0 });
test('a + before letters is alphanumeric and keeps its +', source, '+Shop1', {}, { addr: '+Shop1', ton: 5, npi: 0 });
test('configured TON/NPI for a plain number', source, '12345', { sourceAddrTon: 0, sourceAddrNpi: 0 }, { addr: '12345', ton: 0, npi: 0 });
test('a + overrides a configured TON and keeps the configured NPI', source, '+4915', { sourceAddrTon: 0, sourceAddrNpi: 9 }, { addr: '4915', ton: 1, npi: 9 });
test('letters override a configured TON/NPI', source, 'Shop', { sourceAddrTon: 1, sourceAddrNpi: 1 }, { addr: 'Shop', ton: 5, npi: 0 });
test('a TON without its NPI is not forced', source, '12345', { sourceAddrTon: 1 }, { addr: '12345', ton: 2, npi: 1 });
test('an empty sender', source, '', {}, { addr: '', ton: 2, npi: 1 });

const destination = test.macro({
  exec(t, to: string, link: Forced, expected: Address) {
    t.deepEqual(destinationAddress(to, link), expected);
  },
  title: (given, to: string, _link, expected: Address) => `${given}: receiver ${JSON.stringify(to)} goes as ${JSON.stringify(expected.addr)} TON ${expected.ton} NPI ${expected.npi}`,
});

test('a national number', destination, '0401234567', {}, { addr: '0401234567', ton: 2, npi: 1 });
test('a number with + is international, without the +', destination, '+358401234567', {}, { addr: '358401234567', ton: 1, npi: 1 });
test('configured TON/NPI', destination, '0401234567', { destAddrTon: 0, destAddrNpi: 0 }, { addr: '0401234567', ton: 0, npi: 0 });
test('a + overrides a configured TON and keeps the configured NPI', destination, '+358', { destAddrTon: 2, destAddrNpi: 0 }, { addr: '358', ton: 1, npi: 0 });
test('a DEST TON without its NPI is not forced', destination, '123', { destAddrTon: 1 }, { addr: '123', ton: 2, npi: 1 });

const problem = test.macro({
  exec(t, check: (address: string) => string | undefined, address: string, pattern: RegExp | undefined) {
    const found = check(address);
    if (pattern) t.regex(found ?? '', pattern);
    else t.is(found, undefined);
  },
  title: (given, check, address: string, pattern: RegExp | undefined) =>
    `${given}: ${check === senderProblem ? 'sender' : 'receiver'} ${JSON.stringify(address)} ${pattern ? 'cannot go into submit_sm' : 'can'}`,
});

// SMPP 3.4 5.2.8/5.2.9: 21 octets with the NUL; 3GPP TS 23.040 9.1.2.5: 11 alphanumeric characters
test('20 digits', problem, senderProblem, '1'.repeat(20), undefined);
test('21 digits', problem, senderProblem, '1'.repeat(21), /longer than the 20 octets/);
test('a + and 20 digits (the + is dropped)', problem, senderProblem, `+${'1'.repeat(20)}`, undefined);
test('11 letters', problem, senderProblem, 'ABCDEFGHIJK', undefined);
test('12 letters', problem, senderProblem, 'ABCDEFGHIJKL', /alphanumeric "ABCDEFGHIJKL" is longer than 11 characters/);
test('a + before 11 letters (the + is kept, alphanumeric)', problem, senderProblem, '+ABCDEFGHIJK', /longer than 11/);
test('the issue\'s NUL that smuggles fields', problem, senderProblem, 'A\u0000\u0001\u000199999\u0000', /control characters/);
test('a newline', problem, senderProblem, 'Shop\n', /control characters/);
test('DEL', problem, senderProblem, 'Shop\u007f', /control characters/);
test('latin1 letters', problem, senderProblem, 'Café', undefined);
test('an empty sender (the SMSC\'s default)', problem, senderProblem, '', undefined);
test('20 digits', problem, receiverProblem, '1'.repeat(20), undefined);
test('21 digits', problem, receiverProblem, '1'.repeat(21), /longer than the 20 octets/);
test('a + and 20 digits', problem, receiverProblem, `+${'1'.repeat(20)}`, undefined);
test('a NUL', problem, receiverProblem, '4917\u00001', /control characters/);
test('letters (sendsms-chars decides those, not submit_sm)', problem, receiverProblem, 'ABCDEFGHIJKLMNOP', undefined);
