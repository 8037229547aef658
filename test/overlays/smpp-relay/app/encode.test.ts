import test from 'ava';
import { countParts, encodeText, type EncodeInput, type EncodedMessage } from '../../../../overlays/smpp-relay/app/encode.js';

const REF = 7;

function encode(input: Partial<EncodeInput> & { text: Buffer }): EncodedMessage {
  const result = encodeText({ maxMessages: 10, concatenation: true, reference: REF, ...input });
  if ('error' in result) throw new Error(result.error);
  return result;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const a = (n: number, char = 'a') => char.repeat(n);

/** The user data of each part, without its UDH. */
function bodies(message: EncodedMessage): Buffer[] {
  return message.parts.map((part) => (message.esmClass & 0x40 ? part.subarray((part[0] ?? 0) + 1) : part));
}

/** Part sizes: septets for coding 0, octets otherwise, each without the UDH. */
const splits = test.macro({
  exec(t, input: Partial<EncodeInput> & { text: Buffer }, sizes: number[]) {
    const message = encode(input);
    t.deepEqual(bodies(message).map((body) => body.length), sizes);
    const concatenated = (input.concatenation ?? true) && sizes.length > 1;
    t.is(message.esmClass, concatenated ? 0x40 : 0);
    if (concatenated) {
      message.parts.forEach((part, index) => t.deepEqual([...part.subarray(0, 6)], [5, 0, 3, REF, sizes.length, index + 1]));
    }
  },
  title: (given, _input, sizes: number[]) => `${given} gives parts of ${sizes.join(' + ')}`,
});

test('160 GSM characters', splits, { text: utf8(a(160)) }, [160]);
test('161 GSM characters, concatenated', splits, { text: utf8(a(161)) }, [153, 8]);
test('306 GSM characters, concatenated', splits, { text: utf8(a(306)) }, [153, 153]);
test('307 GSM characters, concatenated', splits, { text: utf8(a(307)) }, [153, 153, 1]);
test('459 GSM characters, concatenated', splits, { text: utf8(a(459)) }, [153, 153, 153]);
test('460 GSM characters, concatenated', splits, { text: utf8(a(460)) }, [153, 153, 153, 1]);
test('161 GSM characters without concatenation', splits, { text: utf8(a(161)), concatenation: false }, [160, 1]);
test('158 letters and a euro sign (160 septets)', splits, { text: utf8(`${a(158)}€`) }, [160]);
test('159 letters and a euro sign (161 septets)', splits, { text: utf8(`${a(159)}€`) }, [153, 8]);
test('a euro sign across the 153rd septet moves whole to the next part', splits, { text: utf8(`${a(152)}€${a(10, 'b')}`) }, [152, 12]);
test('a euro sign across the 160th septet without concatenation', splits, { text: utf8(`${a(159)}€`), concatenation: false }, [159, 2]);
test('70 UCS-2 characters', splits, { text: utf16be(a(70, 'ж')), coding: 2 }, [140]);
test('71 UCS-2 characters, concatenated', splits, { text: utf16be(a(71, 'ж')), coding: 2 }, [134, 8]);
test('134 UCS-2 characters, concatenated', splits, { text: utf16be(a(134, 'ж')), coding: 2 }, [134, 134]);
test('135 UCS-2 characters, concatenated', splits, { text: utf16be(a(135, 'ж')), coding: 2 }, [134, 134, 2]);
test('71 UCS-2 characters without concatenation', splits, { text: utf16be(a(71, 'ж')), coding: 2, concatenation: false }, [140, 2]);
test('an emoji across the 67th UCS-2 character moves whole to the next part', splits, { text: utf16be(`${a(66, 'ж')}😀${a(10, 'ж')}`), coding: 2 }, [132, 24]);
test('an emoji across the 70th UCS-2 character without concatenation', splits, { text: utf16be(`${a(69, 'ж')}😀`), coding: 2, concatenation: false }, [138, 4]);
test('140 octets of 8-bit data', splits, { text: Buffer.alloc(140, 0xff), coding: 1 }, [140]);
test('141 octets of 8-bit data, concatenated', splits, { text: Buffer.alloc(141, 0xff), coding: 1 }, [134, 7]);
test('an empty text', splits, { text: Buffer.alloc(0) }, [0]);

test('max-messages 2 cuts a long text after two full parts', splits, { text: utf8(a(400)), maxMessages: 2 }, [153, 153]);
test('max-messages 1 with concatenation cuts to 153 septets, one plain part, as sms_split() does', splits, { text: utf8(a(400)), maxMessages: 1 }, [153]);
test('max-messages 1 without concatenation cuts to 160 septets', splits, { text: utf8(a(400)), maxMessages: 1, concatenation: false }, [160]);
test('max-messages 3 without concatenation sends three full parts', splits, { text: utf8(a(1000)), maxMessages: 3, concatenation: false }, [160, 160, 160]);
test('a negative max-messages is no limit', splits, { text: utf8(a(1000)), maxMessages: -1 }, [153, 153, 153, 153, 153, 153, 82]);
test('the last part cut at max-messages does not end in half an escape', splits, { text: utf8(`${a(152)}€${a(10)}`), maxMessages: 1 }, [152]);

test('max-messages 0 sends nothing, as Kannel denies it', (t) => {
  t.deepEqual(encode({ text: utf8('hi'), maxMessages: 0 }).parts, []);
});

test('a concatenated message never has more than 255 parts', (t) => {
  t.is(encode({ text: utf8(a(153 * 300)), maxMessages: 1000 }).parts.length, 255);
});

test('GSM text is sent unpacked, one septet per octet, with data_coding 0', (t) => {
  const message = encode({ text: utf8('@€') });
  t.deepEqual(message, { dataCoding: 0x00, esmClass: 0, parts: [Buffer.from([0x00, 0x1b, 0x65])], unmappable: 0 });
});

test('characters GSM cannot carry are sent as ? and counted', (t) => {
  const message = encode({ text: utf8('naïve 😀') });
  t.deepEqual(message.parts, [Buffer.from('na?ve ?', 'latin1')]);
  t.is(message.unmappable, 2);
});

test('a charset converts coding 0 text before GSM', (t) => {
  t.deepEqual(encode({ text: Buffer.from([0x63, 0x61, 0x66, 0xe9]), charset: 'ISO-8859-1' }).parts, [Buffer.from([0x63, 0x61, 0x66, 0x05])]);
});

test('coding 2 text without a charset is taken as UTF-16BE as it came', (t) => {
  const message = encode({ text: Buffer.from([0x04, 0x16]), coding: 2 });
  t.deepEqual(message, { dataCoding: 0x08, esmClass: 0, parts: [Buffer.from([0x04, 0x16])], unmappable: 0 });
});

test('coding 2 text in a charset becomes UTF-16BE', (t) => {
  t.deepEqual(encode({ text: utf8('é😀'), coding: 2, charset: 'UTF-8' }).parts, [Buffer.from([0x00, 0xe9, 0xd8, 0x3d, 0xde, 0x00])]);
});

test('coding 1 sends the bytes as given and ignores the charset', (t) => {
  const message = encode({ text: Buffer.from([0x00, 0xff]), coding: 1, charset: 'ISO-8859-1' });
  t.deepEqual(message, { dataCoding: 0x04, esmClass: 0, parts: [Buffer.from([0x00, 0xff])], unmappable: 0 });
});

test('a client UDH makes the coding 8-bit and sets UDHI', (t) => {
  const udh = Buffer.from([0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]);
  const message = encode({ text: Buffer.from([1, 2]), udh });
  t.deepEqual(message, { dataCoding: 0x04, esmClass: 0x40, parts: [Buffer.concat([udh, Buffer.from([1, 2])])], unmappable: 0 });
});

test('the concatenation element is appended to the client UDH in every part', (t) => {
  const udh = Buffer.from([0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]);
  const message = encode({ text: Buffer.alloc(200, 0x41), udh, reference: 300 });
  const headers = message.parts.map((part) => [...part.subarray(0, 12)]);
  t.deepEqual(headers, [
    [0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 300 & 0xff, 2, 1],
    [0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 300 & 0xff, 2, 2],
  ]);
  t.deepEqual(message.parts.map((part) => part.length - 12), [128, 72]);
});

test('a client UDH repeats in every part without concatenation', (t) => {
  const udh = Buffer.from([0x02, 0x70, 0x00]);
  const message = encode({ text: utf8(a(200)), coding: 0, udh, concatenation: false, maxMessages: 5 });
  t.deepEqual(message.parts.map((part) => [part.length, part[0]]), [[3 + 156, 2], [3 + 44, 2]]);
});

const dataCodings = test.macro({
  exec(t, input: Partial<EncodeInput>, dataCoding: number) {
    t.is(encode({ text: utf8('x'), ...input }).dataCoding, dataCoding);
  },
  title: (given, _input, dataCoding: number) => `${given} has data_coding 0x${dataCoding.toString(16).padStart(2, '0')}`,
});

test('class 0 GSM text', dataCodings, { mclass: 0 }, 0xf0);
test('class 1 8-bit data', dataCodings, { mclass: 1, coding: 1 }, 0xf5);
test('class 1 UCS-2 text', dataCodings, { mclass: 1, coding: 2 }, 0x19);
test('UCS-2 text', dataCodings, { coding: 2 }, 0x08);

const refuses = test.macro({
  exec(t, input: Partial<EncodeInput>, error: string) {
    t.deepEqual(encodeText({ text: utf8('x'), maxMessages: 1, concatenation: false, reference: 0, ...input }), { error });
  },
  title: (given) => `${given} is refused`,
});

test('a UDH whose length octet is wrong', refuses, { udh: Buffer.from([0x05, 0x00, 0x03]) }, 'UDH field misformed, rejected');
test('a UDH over 140 octets', refuses, { udh: Buffer.concat([Buffer.from([140]), Buffer.alloc(140)]) }, 'UDH field is too long, rejected');
test('a charset iconv does not know', refuses, { charset: 'KLINGON' }, 'Charset or body misformed, rejected');
test('an out-of-range coding', refuses, { coding: 3 as 0 }, 'Coding field misformed, rejected');
test('an out-of-range message class', refuses, { mclass: 4 as 0 }, 'MClass field misformed, rejected');

test('countParts counts the parts after max-messages', (t) => {
  t.is(countParts({ text: utf8(a(400)), maxMessages: 10, concatenation: true, reference: 0 }), 3);
  t.is(countParts({ text: utf8(a(400)), maxMessages: 2, concatenation: true, reference: 0 }), 2);
  t.is(countParts({ text: utf8('x'), charset: 'KLINGON', maxMessages: 2, concatenation: true, reference: 0 }), 0);
});

test('coding and mclass -1 mean not given, as in Kannel', (t) => {
  const udh = Buffer.from([0x02, 0x70, 0x00]);
  t.is(encode({ text: utf8('x'), coding: -1, udh }).dataCoding, 0x04);
  t.is(encode({ text: utf8('x'), coding: -1, mclass: -1 }).dataCoding, 0x00);
});
