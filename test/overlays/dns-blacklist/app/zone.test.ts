import test from 'ava';
import { readFile } from 'node:fs/promises';
import { parseAxfr, renderUpdateScript, type ZoneSettings } from '../../../../overlays/dns-blacklist/app/zone.js';

const FIXTURES = new URL('../../../../../test/overlays/dns-blacklist/app/fixtures/', import.meta.url);
const fixture = (name: string) => readFile(new URL(name, FIXTURES), 'utf8');

const sink: ZoneSettings = { zone: 'rpz.mcdebian', server: { address: '127.0.0.1', port: 53 }, ttl: 60, action: { kind: 'sink', address: '192.168.1.1' } };
const nxdomain: ZoneSettings = { ...sink, server: { address: '::1', port: 5353 }, ttl: 300, action: { kind: 'nxdomain' } };

test('blocking with a sink writes the name and its wildcard as A records to the router, in one message', (t) => {
  t.is(renderUpdateScript(sink, { add: ['bad.example', 'xn--bcher-kva.example'], remove: [] }), [
    'check-names no',
    'server 127.0.0.1 53',
    'zone rpz.mcdebian.',
    'update add bad.example.rpz.mcdebian. 60 IN A 192.168.1.1',
    'update add *.bad.example.rpz.mcdebian. 60 IN A 192.168.1.1',
    'update add xn--bcher-kva.example.rpz.mcdebian. 60 IN A 192.168.1.1',
    'update add *.xn--bcher-kva.example.rpz.mcdebian. 60 IN A 192.168.1.1',
    'send',
    '',
  ].join('\n'));
});

test('blocking with NXDOMAIN writes CNAME . for the name and its wildcard; removal deletes both names', (t) => {
  t.is(renderUpdateScript(nxdomain, { add: ['bad.example'], remove: ['old.example'] }), [
    'check-names no',
    'server ::1 5353',
    'zone rpz.mcdebian.',
    'update delete old.example.rpz.mcdebian.',
    'update delete *.old.example.rpz.mcdebian.',
    'update add bad.example.rpz.mcdebian. 300 IN CNAME .',
    'update add *.bad.example.rpz.mcdebian. 300 IN CNAME .',
    'send',
    '',
  ].join('\n'));
});

test('an IPv6 sink address is written as AAAA', (t) => {
  const script = renderUpdateScript({ ...sink, action: { kind: 'sink', address: 'fd00::1' } }, { add: ['bad.example'], remove: [] });
  t.regex(script, /^update add bad\.example\.rpz\.mcdebian\. 60 IN AAAA fd00::1$/m);
});

test('a change too large for one DNS message is split into messages that each name server and zone', (t) => {
  const add = Array.from({ length: 2000 }, (_, i) => `host-${i}.ads.example`);
  const script = renderUpdateScript(sink, { add, remove: [] });
  const messages = script.replace(/^check-names no\n/, '').split('send\n').filter((message) => message !== '');
  t.true(messages.length > 1);
  for (const message of messages) {
    t.true(message.startsWith('server 127.0.0.1 53\nzone rpz.mcdebian.\n'));
    t.true(Buffer.byteLength(message) < 65_535 / 2);
  }
  const added = script.split('\n').filter((line) => line.startsWith('update add host-'));
  t.is(added.length, 2000, 'every name once, none lost at a split');
  t.true(script.includes('update add host-1999.ads.example.rpz.mcdebian. 60 IN A 192.168.1.1\nupdate add *.host-1999.'), 'a name and its wildcard stay in one message');
});

test('nsupdate\'s own host-name check is off, so a name with an underscore is sent like any other', (t) => {
  const script = renderUpdateScript(sink, { add: ['pixel_1.tracker.example'], remove: [] });
  t.true(script.startsWith('check-names no\n'));
  t.regex(script, /^update add pixel_1\.tracker\.example\.rpz\.mcdebian\. 60 IN A 192\.168\.1\.1$/m);
});

test('nothing to change renders an empty script', (t) => {
  t.is(renderUpdateScript(sink, { add: [], remove: [] }), '');
});

test('a zone transfer lists each blocked domain once, sorted, without SOA, NS, wildcards or other RPZ triggers', async (t) => {
  t.deepEqual(parseAxfr(await fixture('axfr-rpz.mcdebian.txt'), 'rpz.mcdebian'), [
    'ads.example',
    'bad.example',
    'metrics.example',
    'only-wildcard.test',
    'tracker.ads.example',
    'xn--bcher-kva.example',
  ]);
});

test('an empty zone transfers as its SOA and NS only and lists nothing', (t) => {
  const soa = 'rpz.mcdebian.\t\t60\tIN\tSOA\tlocalhost. hostmaster.localhost. 1 3600 600 86400 60\n';
  t.deepEqual(parseAxfr(`${soa}rpz.mcdebian.\t\t60\tIN\tNS\tlocalhost.\n${soa}`, 'rpz.mcdebian'), []);
});

test('a refused or unsigned transfer is an error that quotes dig', async (t) => {
  t.throws(() => parseAxfr('', 'rpz.mcdebian'), { message: 'the zone transfer of rpz.mcdebian returned no SOA record' });
  const refused = await fixture('axfr-refused.txt');
  t.throws(() => parseAxfr(refused, 'rpz.mcdebian'), { message: /returned no SOA record: ; Transfer failed\.$/ });
  const badKey = await fixture('axfr-bad-key.txt');
  t.throws(() => parseAxfr(badKey, 'rpz.mcdebian'), { message: /Couldn't verify signature/ });
});

test('records of another zone are not taken for blocked domains', (t) => {
  const output = 'other.zone.\t60\tIN\tSOA\ta. b. 1 2 3 4 5\nbad.example.other.zone. 60 IN A 192.168.1.1\n';
  t.throws(() => parseAxfr(output, 'rpz.mcdebian'), { message: /no SOA/ });
});
