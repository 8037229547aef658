import test from 'ava';
import { checkDomain, checkDomains, maxDomainLength } from '../../../../overlays/dns-blacklist/app/domain.js';

const ZONE = 'rpz.mcdebian';

const accepts = test.macro({
  exec(t, input: string, expected: string) {
    t.deepEqual(checkDomain(input, ZONE), { ok: true, domain: expected });
  },
  title: (given, input: string, expected: string) => given ?? `${JSON.stringify(input)} is accepted as ${expected}`,
});

const refuses = test.macro({
  exec(t, input: string, reason: RegExp) {
    const check = checkDomain(input, ZONE);
    t.false(check.ok);
    if (!check.ok) t.regex(check.reason, reason);
  },
  title: (given, input: string) => `${given ?? JSON.stringify(input.slice(0, 40))} is refused`,
});

test(accepts, 'ads.example', 'ads.example');
test('names are trimmed, lower-cased and lose one trailing dot', accepts, '  Tracker.ADS.Example.\n', 'tracker.ads.example');
test('internationalised names become punycode', accepts, 'Bücher.example', 'xn--bcher-kva.example');
test('fullwidth letters are mapped as browsers map them', accepts, 'ａｄｓ.example', 'ads.example');
test(accepts, 'xn--bcher-kva.example', 'xn--bcher-kva.example');
test(accepts, 'a-b.c-d.example', 'a-b.c-d.example');
test('an underscore inside a host label is accepted', accepts, 'pixel_1.tracker.example', 'pixel_1.tracker.example');
test('a label of exactly 63 characters is accepted', accepts, `${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`);

test('a double quote', refuses, 'a"b.example', /contains a quote/);
test('a single quote', refuses, 'a\'b.example', /contains a quote/);
test('a newline that would start a second nsupdate command', refuses, 'a.example\nupdate add evil.example 60 IN A 1.2.3.4', /contains a newline/);
test('a carriage return', refuses, 'a.example\rsend', /contains a carriage return/);
test('a semicolon that would start a zone-file comment', refuses, 'a.example;comment', /contains ";"/);
test('a space inside the name', refuses, 'a b.example', /contains a space/);
test('a tab inside the name', refuses, 'a\tb.example', /contains a tab/);
test('a backslash escape', refuses, 'a\\032b.example', /contains a backslash/);
test('parentheses', refuses, 'a(b).example', /contains "\("/);
test('a NUL byte', refuses, 'a\0.example', /control character U\+0000/);
test('a no-break space', refuses, 'a\u00a0b.example', /invisible character U\+00a0/);
test('a fullwidth semicolon that punycode conversion maps to ";"', refuses, 'a\uff1bb.example', /holds more than letters, digits/);
test('a wildcard, with the hint that subdomains are blocked anyway', refuses, '*.ads.example', /contains "\*" \(subdomains are blocked with their domain/);
test('a URL instead of a name', refuses, 'http://ads.example/', /contains ":"/);
test('an over-long label', refuses, `${'a'.repeat(64)}.example`, /label of 64 characters; at most 63/);
test('a name over 253 characters', refuses, `${'abcdefghi.'.repeat(26)}example`, /is 267 characters long; the zone rpz\.mcdebian holds names of at most 238/);
test('a name too long to fit in the zone with its wildcard', refuses, `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(48)}.example`, /at most 238/);
test('a single label', refuses, 'localhost', /single label/);
test('the zone itself', refuses, 'rpz.mcdebian', /inside the block list's own zone/);
test('a name inside the zone', refuses, 'ads.example.rpz.mcdebian.', /inside the block list's own zone/);
test('an RPZ trigger label at the end', refuses, '32.1.0.0.127.rpz-ip', /top-level label "rpz-ip"/);
test('an IPv4 address', refuses, '192.0.2.1', /IP address/);
test('an IPv6 address', refuses, '2001:db8::1', /contains ":"/);
test('a numeric top-level label', refuses, 'ads.123', /not a valid internationalised domain name|top-level/);
test('a leading hyphen', refuses, '-ads.example', /starts or ends with a hyphen/);
test('a trailing hyphen', refuses, 'ads-.example', /starts or ends with a hyphen/);
test('two dots in a row', refuses, 'ads..example', /empty label/);
test('an empty string', refuses, '   ', /is empty/);
test('a lone dot', refuses, '.', /is empty/);
test('broken punycode', refuses, 'xn--zz.example', /not a valid internationalised/);

test('the longest name depends on the zone: *. + name + . + zone fit in 253 characters', (t) => {
  t.is(maxDomainLength(ZONE), 238);
  const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(43)}.ex`;
  t.is(longest.length, 238);
  t.true(checkDomain(longest, ZONE).ok);
  t.false(checkDomain(`x${longest}`, ZONE).ok);
});

test('entries that are arrays or objects are named by their brackets, never walked', (t) => {
  let deep: unknown = 'a.example';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  t.deepEqual(checkDomains([deep, { name: 'a.example' }, null, true], ZONE).invalid, [
    { entry: '[...]', index: 0, reason: 'is not a string' },
    { entry: '{...}', index: 1, reason: 'is not a string' },
    { entry: 'null', index: 2, reason: 'is not a string' },
    { entry: 'true', index: 3, reason: 'is not a string' },
  ]);
});

test('a batch keeps each name once, in order, and lists every refused entry with its position', (t) => {
  const result = checkDomains(['b.example', 'A.example', 'a.example.', 'bad;name', 42, 'ok.example'], ZONE);
  t.deepEqual(result.domains, ['b.example', 'a.example', 'ok.example']);
  t.deepEqual(result.invalid, [
    { entry: 'bad;name', index: 3, reason: 'contains ";"' },
    { entry: '42', index: 4, reason: 'is not a string' },
  ]);
});
