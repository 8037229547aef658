import test from 'ava';
import { parseHostsFile } from '../../../../overlays/dns-blacklist/app/hosts.js';

const ZONE = 'rpz.mcdebian';

const LIST = `\uFEFF# Title: a published block list
# Date: 2026-07-01
127.0.0.1 localhost
127.0.0.1 localhost.localdomain
127.0.0.1 local
255.255.255.255 broadcasthost
::1 localhost ip6-localhost ip6-loopback
fe80::1%lo0 localhost
0.0.0.0 0.0.0.0

0.0.0.0 ads.example
127.0.0.1 a.example b.example   # two on one line
bare.example\r
0.0.0.0 Tracker.Example. # trailing comment
0.0.0.0 ads.example
   0.0.0.0   spaced.example
0.0.0.0 bad;name.example
0.0.0.0 192.0.2.7
0.0.0.0 single
not-an-address also.example
`;

test('a hosts file yields its domains once each, in order, normalised', (t) => {
  const list = parseHostsFile(LIST, ZONE);
  t.deepEqual(list.domains, ['ads.example', 'a.example', 'b.example', 'bare.example', 'tracker.example', 'spaced.example']);
});

test('machine names and addresses are skipped, not reported', (t) => {
  const list = parseHostsFile(LIST, ZONE);
  // localhost x3, localhost.localdomain, local, broadcasthost, ip6-localhost, ip6-loopback, 0.0.0.0, 192.0.2.7
  t.is(list.skipped, 10);
  t.false(list.invalid.some((invalid) => /localhost|broadcasthost|0\.0\.0\.0|192\.0\.2\.7/.test(invalid.entry)));
});

test('invalid entries are reported with their line number and reason', (t) => {
  const list = parseHostsFile(LIST, ZONE);
  t.deepEqual(list.invalid, [
    { line: 17, entry: 'bad;name.example', reason: 'contains ";"' },
    { line: 19, entry: 'single', reason: 'has a single label; give a full domain name such as example.com' },
    { line: 20, entry: 'not-an-address also.example', reason: 'is neither "ADDRESS NAME..." nor a single name' },
  ]);
});

test('an empty file or one of comments only holds nothing', (t) => {
  t.deepEqual(parseHostsFile('', ZONE), { domains: [], invalid: [], skipped: 0 });
  t.deepEqual(parseHostsFile('# nothing\n\n   # still nothing\n', ZONE), { domains: [], invalid: [], skipped: 0 });
});

test('names inside the policy zone are refused', (t) => {
  t.deepEqual(parseHostsFile('0.0.0.0 x.rpz.mcdebian\n', ZONE).invalid.map((i) => i.line), [1]);
});
