import test from 'ava';
import { ackText, nackText } from '../../../../overlays/smpp-relay/app/dlr.js';
import { expandDlrUrl, kannelUrlEncode, type DlrFields } from '../../../../overlays/smpp-relay/app/dlr-url.js';

const TIME = new Date(Date.UTC(2024, 0, 31, 12, 3, 4));

const FIELDS: DlrFields = {
  type: 1,
  text: 'id:42 sub:001 stat:DELIVRD a*b',
  messageId: 'm-1',
  smscMessageId: '42/x',
  from: '0041 79',
  to: '0041791234567',
  smscId: 'link a',
  service: 'shop & co',
  account: 'sys',
  billingInfo: 'b i',
  coding: 2,
  mclass: 1,
  mwi: 0,
  charset: 'ISO-8859-1',
  dataCoding: 8,
  udh: Buffer.from([5, 0, 3, 1, 2, 1]),
  smscNumber: '+4179',
  dlrUrl: 'http://x/?a=1',
  metaData: { smpp: { dlr_err: Buffer.from([3, 0, 1]) }, orig_msg: { dlr_mask: '3' } },
  time: TIME,
  validityMinutes: 5,
  deferredMinutes: 0,
};

const expands = test.macro({
  exec(t, template: string, expected: string) {
    t.is(expandDlrUrl(template, FIELDS), expected);
  },
  title: (given, template: string, expected: string) => given ?? `${template} expands to ${JSON.stringify(expected)}`,
});

const expandsWith = test.macro({
  exec(t, fields: DlrFields, template: string, expected: string) {
    t.is(expandDlrUrl(template, fields), expected);
  },
  title: (given) => given ?? '',
});

test('%a gives the words of the text, each URL-encoded, joined by +', expands, '%a', 'id%3A42+sub%3A001+stat%3ADELIVRD+a*b');
test('%A gives the text URL-encoded', expands, '%A', 'id%3A42+sub%3A001+stat%3ADELIVRD+a*b');
test(expands, '%b', 'id%3A42+sub%3A001+stat%3ADELIVRD+a*b');
test(expands, '%B', 'b+i');
test(expands, '%c', '2');
test('%C gives the charset as it is, not URL-encoded', expands, '%C', 'ISO-8859-1');
test(expands, '%d', '1');
test('%D gives the meta-data packed as Kannel packs it, URL-encoded again', expands, '%D', '%3Fsmpp%3Fdlr_err%3D%2503%2500%2501%26%3Forig_msg%3Fdlr_mask%3D3%26');
test('%e gives the text in upper-case hex', expands, '%e', Buffer.from('id:42 sub:001 stat:DELIVRD a*b').toString('hex').toUpperCase());
test(expands, '%f', '%2B4179');
test(expands, '%F', '42%2Fx');
test(expands, '%i', 'link+a');
test(expands, '%I', 'm-1');
test('%k gives the first word', expands, '%k', 'id%3A42');
test(expands, '%m', '1');
test(expands, '%M', '0');
test(expands, '%n', 'shop+%26+co');
test(expands, '%o', 'sys');
test('%O gives the data_coding in decimal, two digits', expands, '%O', '08');
test('%p gives the receiver', expands, '%p', '0041791234567');
test('%P gives the sender', expands, '%P', '0041+79');
test('%q turns a leading 00 of the receiver into %2B', expands, '%q', '%2B41791234567');
test('%Q turns a leading 00 of the sender into %2B', expands, '%Q', '%2B41+79');
test('%r gives the words after the first', expands, '%r', 'sub%3A001+stat%3ADELIVRD+a*b');
test(expands, '%R', 'http%3A%2F%2Fx%2F%3Fa%3D1');
test('%s takes the next word, starting with the second', expands, '%s,%s', 'sub%3A001,stat%3ADELIVRD');
test('%S takes the next word unencoded with * as ~', expands, '%S|%S|%S', 'sub:001|stat:DELIVRD|a~b');
test('%r starts after the words %s took', expands, '%s %r', 'sub%3A001 stat%3ADELIVRD+a*b');
test('%t gives the UTC time with a + for the space', expands, '%t', '2024-01-31+12:03:04');
test('%T gives Unix seconds', expands, '%T', String(TIME.getTime() / 1000));
test('%u gives the UDH octets URL-encoded', expands, '%u', '%05%00%03%01%02%01');
test(expands, '%v', '5');
test(expands, '%V', '0');
test('%#group#key# gives one meta-data value', expands, 'e=%#smpp#dlr_err#&m=%#orig_msg#dlr_mask#', 'e=%03%00%01&m=3');
test('%#group#key# of a value not there gives nothing', expands, '[%#smpp#nope#][%#none#x#]', '[][]');
test('%% is a percent sign', expands, '100%%', '100%');
test('an unknown escape stays as it is', expands, '%z%1%-', '%z%1%-');
test('a percent sign at the end stays', expands, 'a=%', 'a=%');
test('%# without a closing # is dropped and the rest follows', expands, 'x%#abc', 'xabc');
test('%# with a group but no key end is dropped (Kannel would loop)', expands, 'x%#g#p', 'xp');

test(
  'a whole DLR URL',
  expands,
  'https://app.example/dlr?id=%I&type=%d&answer=%A&to=%p&smsc=%i&at=%t',
  'https://app.example/dlr?id=m-1&type=1&answer=id%3A42+sub%3A001+stat%3ADELIVRD+a*b&to=0041791234567&smsc=link+a&at=2024-01-31+12:03:04',
);

const BARE: DlrFields = { type: 16 };
test('unset fields expand as in a Kannel DLR', expandsWith, BARE, '[%c][%m][%M][%C][%O][%u][%t][%T][%A][%a][%k][%s][%S][%r][%p][%q][%F][%I][%e][%D][%v]', '[-1][-1][-1][UTF-8][00][][][][][][][][][][][][][][][][]');
test('%C names 8-BIT for coding 1', expandsWith, { type: 1, coding: 1 }, '%C', '8-BIT');
test('%C names UTF-16BE for coding 2', expandsWith, { type: 1, coding: 2 }, '%C', 'UTF-16BE');
test('%C names UTF-8 for coding 0', expandsWith, { type: 1, coding: 0 }, '%C', 'UTF-8');
test('an SMSC ack shows ACK/ in %A', expandsWith, { type: 8, text: ackText() }, '%d:%A', '8:ACK%2F');
test('an SMSC nack shows the status in %A', expandsWith, { type: 16, text: nackText(0x45) }, '%d:%A', '16:NACK%2F0x00000045%2FSubmit+failed');
test('a text given as octets is encoded octet by octet', expandsWith, { type: 1, text: Buffer.from([0xe9, 0x74, 0xe9]) }, '%A|%e', '%E9t%E9|E974E9');
test('words split at tabs and newlines too', expandsWith, { type: 1, text: ' a\tb\r\nc ' }, '%a', 'a+b+c');

const encodes = test.macro({
  exec(t, input: string | Buffer, expected: string) {
    t.is(kannelUrlEncode(input), expected);
  },
  title: (given, input: string | Buffer, expected: string) => given ?? `${JSON.stringify(input)} URL-encodes to ${expected}`,
});

test('unreserved characters stay', encodes, "AZaz09-_.!~*'()", "AZaz09-_.!~*'()");
test('a space becomes +', encodes, 'a b', 'a+b');
test('reserved characters become upper-case %XX', encodes, '+/?:@&=#%', '%2B%2F%3F%3A%40%26%3D%23%25');
test('UTF-8 text is encoded octet by octet', encodes, 'é€', '%C3%A9%E2%82%AC');
