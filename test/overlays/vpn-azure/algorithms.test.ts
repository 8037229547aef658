import test from 'ava';
import { expandEsp, expandIke, formatEsp, formatIke } from '../../../overlays/vpn-azure/algorithms.js';

const ike = test.macro((t, proposal: string, expected: string[]) => {
  const read = expandIke(proposal);
  if (!read.ok) return t.fail(read.reason);
  t.deepEqual(read.suites.map(formatIke), expected);
});

test('an IKE proposal stands for every combination of its algorithms, the PRF derived from each integrity algorithm', ike, 'aes256-aes128-sha1-sha256-modp1024', [
  'aes256-sha1-prfsha1-modp1024', 'aes256-sha256-prfsha256-modp1024', 'aes128-sha1-prfsha1-modp1024', 'aes128-sha256-prfsha256-modp1024',
]);
test('a GCM IKE proposal takes its explicit PRF and no integrity algorithm', ike, 'aes256gcm16-prfsha384-ecp384', ['aes256gcm16-prfsha384-ecp384']);
test('aliases are read as their canonical keywords', ike, 'aes256gcm128-prfsha384-ecp384', ['aes256gcm16-prfsha384-ecp384']);

const refused = test.macro((t, expand: typeof expandIke | typeof expandEsp, proposal: string, reason: RegExp) => {
  const read = expand(proposal);
  t.false(read.ok);
  if (!read.ok) t.regex(read.reason, reason);
});

test('an IKE proposal without a DH group is refused', refused, expandIke, 'aes256-sha256', /no key exchange/);
test('a GCM IKE proposal without a PRF is refused with the fix', refused, expandIke, 'aes256gcm16-ecp384', /prfsha384/);
test('GCM and CBC in one proposal are refused', refused, expandIke, 'aes256gcm16-aes256-sha256-prfsha256-ecp384', /two proposals/);
test('an unknown keyword is named', refused, expandEsp, 'aes256-sha256-bogus', /"bogus"/);
test('an ESP proposal with a PRF is refused', refused, expandEsp, 'aes256-sha256-prfsha256', /PRF/);

test('an ESP proposal\'s DH group is the PFS group of its suites; without one there is no PFS', (t) => {
  const read = expandEsp('aes256gcm16-ecp384');
  t.true(read.ok);
  if (read.ok) t.deepEqual(read.suites.map(formatEsp), ['aes256gcm16-ecp384']);
  const plain = expandEsp('aes256-sha256');
  if (plain.ok) t.is(plain.suites[0]!.dh, undefined);
});
