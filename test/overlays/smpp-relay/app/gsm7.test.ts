import test from 'ava';
import { fromGsm7, gsm7Length, isGsm7, toGsm7 } from '../../../../overlays/smpp-relay/app/gsm7.js';

/** Every character of the default alphabet but ESC, in septet order (3GPP TS 23.038 6.2.1). */
const ALPHABET =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

const encodes = test.macro({
  exec(t, text: string, septets: number[], unmappable: number) {
    t.deepEqual(toGsm7(text), { septets: Buffer.from(septets), unmappable });
  },
  title: (given, text: string, septets: number[], _unmappable: number) =>
    given ?? `${JSON.stringify(text)} becomes ${Buffer.from(septets).toString('hex')}`,
});

const decodes = test.macro({
  exec(t, septets: number[], text: string) {
    t.is(fromGsm7(Buffer.from(septets)), text);
  },
  title: (given, septets: number[], text: string) =>
    given ?? `${Buffer.from(septets).toString('hex')} reads ${JSON.stringify(text)}`,
});

const measures = test.macro({
  exec(t, text: string, length: number) {
    t.is(gsm7Length(text), length);
    t.is(toGsm7(text).septets.length, length);
  },
  title: (given, text: string, length: number) => given ?? `${JSON.stringify(text)} takes ${length} septets`,
});

test('every character of the default alphabet is its own septet and reads back', (t) => {
  const { septets, unmappable } = toGsm7(ALPHABET);
  t.is(unmappable, 0);
  t.deepEqual([...septets], [...Array(128).keys()].filter((septet) => septet !== 0x1b));
  t.is(fromGsm7(septets), ALPHABET);
});

test(encodes, '@$_', [0x00, 0x02, 0x11], 0);
test('the extension characters take ESC and a septet', encodes, '\f^{}\\[~]|€', [
  0x1b, 0x0a, 0x1b, 0x14, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x2f, 0x1b, 0x3c, 0x1b, 0x3d, 0x1b, 0x3e, 0x1b, 0x40, 0x1b, 0x65,
], 0);
test('small c cedilla becomes the capital at 0x09, as Kannel maps it', encodes, 'çÇ', [0x09, 0x09], 0);
test('the ten Greek capitals GSM has are carried', encodes, 'ΔΦΓΛΩΠΨΣΘΞ', [0x10, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a], 0);
test('an accented letter GSM lacks becomes ? and is counted', encodes, 'á', [0x3f], 1);
test('a Greek capital that looks Latin is not mapped to the Latin letter', encodes, 'Α', [0x3f], 1);
test('a backtick becomes ?', encodes, '`', [0x3f], 1);
test('a tab becomes ?', encodes, 'a\tb', [0x61, 0x3f, 0x62], 1);
test('an ESC character in the text becomes ? rather than starting an escape', encodes, '\u001b(', [0x3f, 0x28], 1);
test('an emoji becomes a single ?', encodes, 'a😀b', [0x61, 0x3f, 0x62], 1);
test('Cyrillic becomes one ? per letter', encodes, 'Да', [0x3f, 0x3f], 2);
test('an empty text has no septets', encodes, '', [], 0);

test(measures, 'hello', 5);
test('the euro sign counts two', measures, '€', 2);
test('every extension character and form feed counts two', measures, '^{}\\[~]|€\f', 20);
test('an unmappable character counts one, for its ?', measures, 'é😀á', 3);

test('isGsm7 accepts the alphabet and the extension table', (t) => {
  t.true(isGsm7(`${ALPHABET}^{}\\[~]|€\f`));
  t.false(isGsm7('á'));
  t.false(isGsm7('😀'));
});

test(decodes, [0x48, 0x69], 'Hi');
test('an escaped septet reads as its extension character', decodes, [0x1b, 0x65, 0x1b, 0x3c], '€[');
test('0x09 reads as capital C cedilla', decodes, [0x09], 'Ç');
test('ESC before a septet the extension table lacks reads ? and the septet', decodes, [0x1b, 0x41], '?A');
test('ESC at the end reads ?', decodes, [0x61, 0x1b], 'a?');
test('an octet over 0x7F is dropped', decodes, [0x61, 0x80, 0x62], 'ab');
