/** charon's SAs and connections from `swanctl --list-sas|--list-conns --pretty`, recorded from strongSwan 5.9.8. */
import test from 'ava';
import { parseListConns, parseListSas } from '../../../../overlays/vpn-azure/app/charon-state.js';
import { ViciFormatError } from '../../../../overlays/vpn-azure/app/vici-pretty.js';
import { recorded } from '../status-fixtures.js';

test('an established tunnel: its IKE proposal as strongSwan names it, its child with bytes, packets and rekey times', (t) => {
  const [sa, ...others] = parseListSas(recorded('established/list-sas.txt'));
  t.is(others.length, 0);
  t.like(sa, { name: 'azure-hq-1', state: 'ESTABLISHED', remoteHost: '10.99.0.2', proposal: 'AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384' });
  t.true(sa!.establishedSecondsAgo !== undefined && sa!.rekeyInSeconds !== undefined);
  t.is(sa!.children.length, 1);
  const child = sa!.children[0]!;
  t.like(child, { name: 'azure-hq-1', state: 'INSTALLED', localTs: ['10.1.0.0/24'], remoteTs: ['10.2.0.0/24'] });
  t.regex(child.proposal, /^AES_GCM_16-256/);
  // record.sh pinged three times through the tunnel
  t.is(child.packetsIn, 3);
  t.is(child.packetsOut, 3);
  t.true(child.bytesIn > 0 && child.bytesOut > 0);
});

test('an IKE_SA still connecting has no proposal and no children', (t) => {
  const [sa] = parseListSas(recorded('dead-peer/list-sas-connecting.txt'));
  t.like(sa, { name: 'azure-hq-1', state: 'CONNECTING', proposal: undefined, children: [] });
});

test('no SA at all after a failure: the reply alone', (t) => {
  for (const recording of ['no-proposal', 'wrong-psk', 'dead-peer']) t.deepEqual(parseListSas(recorded(`${recording}/list-sas.txt`)), [], recording);
});

test('the loaded connection with its children', (t) => {
  t.deepEqual(parseListConns(recorded('established/list-conns.txt')), [{ name: 'azure-hq-1', children: ['azure-hq-1'] }]);
});

test('output that is not a vici dump is refused, naming the line', (t) => {
  t.throws(() => parseListSas('Error: connecting to \'default\' URI failed\n'), { instanceOf: ViciFormatError, message: /line 1/ });
  t.throws(() => parseListSas('list-sa event {\n  azure-hq-1 {\n'), { instanceOf: ViciFormatError, message: /ends inside/ });
});
