import test from 'ava';
import { argInt, argText, parseArgs, percentDecode } from '../../../../overlays/smpp-relay/app/http-args.js';

const decodes = test.macro({
  exec(t, component: string, bytes: number[]) {
    t.deepEqual([...percentDecode(component)], bytes);
  },
  title: (given, component: string, bytes: number[]) => `${given ?? JSON.stringify(component)} decodes to ${Buffer.from(bytes).toString('hex') || 'nothing'}`,
});

test('%XX gives the byte, whatever it is', decodes, '%00%E4%ff%80', [0x00, 0xe4, 0xff, 0x80]);
test('"+" is a space and %2B a plus', decodes, 'a+b%2Bc', [0x61, 0x20, 0x62, 0x2b, 0x63]);
test('a % without two hex digits stays as it is (octstr_url_decode keeps "garbage")', decodes, '%zz%4', [0x25, 0x7a, 0x7a, 0x25, 0x34]);
test('a character beyond ASCII is its UTF-8 bytes', decodes, 'ä', [0xc3, 0xa4]);
test(decodes, '', []);

test('the first occurrence of a name wins, as http_cgi_variable() finds it', (t) => {
  const args = parseArgs('to=1&to=2&text=a&text=b');
  t.is(argText(args, 'to'), '1');
  t.is(argText(args, 'text'), 'a');
});

test('names are decoded too; a name without "=" has an empty value; empty pairs are skipped', (t) => {
  const args = parseArgs('&dlr%2Dmask=3&&flag&x=a=b');
  t.deepEqual([...args.keys()], ['dlr-mask', 'flag', 'x']);
  t.is(argText(args, 'flag'), '');
  t.is(argText(args, 'x'), 'a=b');
});

test('text keeps its bytes: binary for coding=1, and each byte one character as text', (t) => {
  const args = parseArgs('text=%00%FF%80%E4&udh=%05%00%03%01%02%01');
  t.deepEqual(args.get('text'), Buffer.from([0x00, 0xff, 0x80, 0xe4]));
  t.deepEqual(args.get('udh'), Buffer.from([5, 0, 3, 1, 2, 1]));
  t.is(argText(args, 'text'), '\u0000\u00ff\u0080\u00e4');
});

test('argText takes the first of several names that is present (username, then user)', (t) => {
  t.is(argText(parseArgs('user=b&username=a'), 'username', 'user'), 'a');
  t.is(argText(parseArgs('user=b'), 'username', 'user'), 'b');
  t.is(argText(parseArgs('x=1'), 'username', 'user'), undefined);
});

const reads = test.macro({
  exec(t, value: string | undefined, expected: number | undefined) {
    const args = parseArgs(value === undefined ? '' : `n=${value}`);
    t.is(argInt(args, 'n'), expected);
  },
  title: (_given, value: string | undefined, expected: number | undefined) => `${value === undefined ? 'a missing number' : `n=${value}`} reads as ${String(expected)}, as sscanf("%d") does`,
});

test(reads, '12', 12);
test(reads, '12abc', 12);
test(reads, '%20%20-3', -3);
test(reads, '%2B4', 4);
test(reads, '0x10', 0);
test(reads, '007', 7);
test(reads, 'abc', undefined);
test(reads, '', undefined);
test(reads, '-', undefined);
test(reads, undefined, undefined);
test(reads, '2147483648', 2_147_483_647);
test(reads, '-2147483649', -2_147_483_648);
test(reads, '7'.repeat(400), 2_147_483_647);

test('argInt takes the first of several names, as dlr-mask then dlrmask', (t) => {
  t.is(argInt(parseArgs('dlrmask=2&dlr-mask=1'), 'dlr-mask', 'dlrmask'), 1);
  t.is(argInt(parseArgs('dlrmask=2'), 'dlr-mask', 'dlrmask'), 2);
});
