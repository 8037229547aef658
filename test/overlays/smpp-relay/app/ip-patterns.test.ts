import test from 'ava';
import { isAllowedIp, patternListMatches, plainAddress } from '../../../../overlays/smpp-relay/app/ip-patterns.js';

/** Cases checked against pattern_matches_ip() in Kannel 1.4.5's gwlib/utils.c. */
const matches = test.macro({
  exec(t, list: string, ip: string, expected: boolean) {
    t.is(patternListMatches(list, ip), expected);
  },
  title: (given, list: string, ip: string, expected: boolean) => `${given ? `${given}: ` : ''}"${list}" ${expected ? 'matches' : 'does not match'} ${ip}`,
});

test(matches, '127.0.0.1', '127.0.0.1', true);
test(matches, '127.0.0.1', '127.0.0.2', false);
test('a longer address is no match', matches, '10.0.0.1', '10.0.0.10', false);
test('a shorter address is no match', matches, '10.0.0.10', '10.0.0.1', false);
test('* stands for one octet', matches, '192.168.*.1', '192.168.200.1', true);
test(matches, '192.168.0.*', '192.168.0.255', true);
test(matches, '*.*.*.*', '8.8.4.4', true);
test('* does not cross a dot', matches, '10.*', '10.1.2.3', false);
test('* alone is one octet, not an address', matches, '*', '1.2.3.4', false);
test('* after digits takes the rest of the octet', matches, '1*.0.0.1', '12.0.0.1', true);
test('* may take nothing', matches, '1*.0.0.1', '1.0.0.1', true);
test('any pattern of a ;-list', matches, '192.168.0.1;10.*.*.*', '10.9.8.7', true);
test(matches, '192.168.0.1;10.*.*.*', '11.9.8.7', false);
test('an empty pattern matches nothing', matches, ';', '1.2.3.4', false);

const allows = test.macro({
  exec(t, allow: string | undefined, deny: string | undefined, ip: string, expected: boolean) {
    t.is(isAllowedIp(allow, deny, ip), expected);
  },
  title: (given, allow: string | undefined, deny: string | undefined, ip: string, expected: boolean) =>
    `${given}: allow ${JSON.stringify(allow)}, deny ${JSON.stringify(deny)} ${expected ? 'lets' : 'keeps'} ${ip} ${expected ? 'in' : 'out'}`,
});

test('no deny list lets everyone in, whatever the allow list says', allows, '10.0.0.1', undefined, '1.2.3.4', true);
test('an empty deny list is none', allows, '10.0.0.1', '', '1.2.3.4', true);
test('the allow list wins over the deny list', allows, '10.0.0.*', '*.*.*.*', '10.0.0.5', true);
test('the deny list refuses what the allow list does not name', allows, '10.0.0.*', '*.*.*.*', '10.0.1.5', false);
test('the deny list alone', allows, undefined, '192.168.*.*', '192.168.3.4', false);
test('an address neither list names is let in', allows, '10.0.0.*', '192.168.*.*', '172.16.0.1', true);

test('a dual-stack socket\'s IPv4-mapped address is read as IPv4', (t) => {
  t.is(plainAddress('::ffff:127.0.0.1'), '127.0.0.1');
  t.is(plainAddress('10.0.0.1'), '10.0.0.1');
  t.is(plainAddress('::1'), '::1');
  t.is(plainAddress(undefined), '');
});
