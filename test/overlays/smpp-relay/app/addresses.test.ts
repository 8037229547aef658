import test from 'ava';
import { destinationAddress, sourceAddress, type Address } from '../../../../overlays/smpp-relay/app/addresses.js';
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
