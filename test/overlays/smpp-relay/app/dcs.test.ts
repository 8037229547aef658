import test from 'ava';
import { dataCodingScheme, type DcsFields } from '../../../../overlays/smpp-relay/app/dcs.js';

/**
 * Expected values worked out from fields_to_dcs() (gw/sms.c) as msg_to_pdu() calls it
 * (gw/smsc/smsc_smpp.c): mode 1 forced when mclass is set and mwi is not, else alt-dcs.
 */
const dcs = test.macro({
  exec(t, fields: DcsFields, expected: number, hasText?: boolean) {
    t.is(dataCodingScheme(fields, hasText ?? true), expected);
  },
  title: (given, fields: DcsFields, expected: number, hasText?: boolean) =>
    `${given ? `${given}: ` : ''}${JSON.stringify(fields)}${hasText === false ? ' without text' : ''} gives 0x${expected.toString(16).padStart(2, '0')}`,
});

test('7-bit', dcs, { coding: 0 }, 0x00);
test('8-bit', dcs, { coding: 1 }, 0x04);
test('UCS-2', dcs, { coding: 2 }, 0x08);
test('unset fields at -1', dcs, { coding: 0, mclass: -1, mwi: -1, compress: -1, altDcs: -1 }, 0x00);
test('a class forces the 1111 group', dcs, { coding: 0, mclass: 0 }, 0xf0);
test(dcs, { coding: 0, mclass: 3 }, 0xf3);
test(dcs, { coding: 1, mclass: 1 }, 0xf5);
test(dcs, { coding: 1, mclass: 2, altDcs: 0 }, 0xf6);
test('UCS-2 with a class stays in the 00xx group', dcs, { coding: 2, mclass: 1 }, 0x19);
test('compression with a class stays in the 00xx group', dcs, { coding: 0, mclass: 2, compress: 1 }, 0x32);
test('compression', dcs, { coding: 1, compress: 1 }, 0x24);
test('compress=0 is no compression', dcs, { coding: 1, compress: 0 }, 0x04);
test('alt-dcs without a class gives the 1111 group with class 1', dcs, { coding: 0, altDcs: 1 }, 0xf1);
test(dcs, { coding: 1, altDcs: 1 }, 0xf5);
test('alt-dcs cannot carry UCS-2', dcs, { coding: 2, altDcs: 1 }, 0x08);
test('alt-dcs=0', dcs, { coding: 0, altDcs: 0 }, 0x00);
test('MWI active, 7-bit text: store group 1101', dcs, { coding: 0, mwi: 1 }, 0xd9);
test('MWI active, UCS-2 text: group 1110', dcs, { coding: 2, mwi: 2 }, 0xea);
test('MWI active, 8-bit text: group 1110 too (Kannel: "shouldn\'t happen")', dcs, { coding: 1, mwi: 3 }, 0xeb);
test('MWI active without text: discard group 1100', dcs, { coding: 0, mwi: 0 }, 0xc8, false);
test('MWI inactive (4-7): 1100 without the active bit', dcs, { coding: 0, mwi: 6 }, 0xc2);
test(dcs, { coding: 2, mwi: 4 }, 0xc0);
test('MWI wins over a class', dcs, { coding: 0, mwi: 1, mclass: 2 }, 0xd9);
