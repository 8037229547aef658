/** Each tunnel's status from the tunnels file and recorded charon, route and journal outputs. */
import test from 'ava';
import { lastFailure } from '../../../../overlays/vpn-azure/app/charon-log.js';
import { parseListConns, parseListSas } from '../../../../overlays/vpn-azure/app/charon-state.js';
import { describeReason, describeStatus } from '../../../../overlays/vpn-azure/app/describe-status.js';
import { exitCodeOf, vpnStatusOf, type Observations } from '../../../../overlays/vpn-azure/app/tunnel-status.js';
import { recorded, recordedFile, recordedTunnel } from '../status-fixtures.js';

const now = 1_796_615_920;

function observed(recording: string, extra: Partial<Observations> = {}): Observations {
  return {
    now,
    sas: parseListSas(recorded(`${recording}/list-sas.txt`)),
    conns: parseListConns(recorded(`${recording}/list-conns.txt`)),
    routes: new Map([['az-hq-1', JSON.parse(recorded('established/routes.json')) as { dst: string }[]]]),
    reasons: new Map(),
    ...extra,
  };
}

test('the established tunnel is up with its routes: exit 0, and the text names proposal, bytes and rekey', (t) => {
  const status = vpnStatusOf(recordedFile, observed('established'));
  t.like(status.tunnels[0], { up: true, ikeState: 'ESTABLISHED', ikeProposal: 'AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384', xfrm: { routesPresent: true } });
  t.is(exitCodeOf(status), 0);
  const text = describeStatus(status);
  t.regex(text, /^azure-hq-1 \(connection hq, gateway 10\.99\.0\.2\): ESTABLISHED since 2026-.* IKE AES_GCM_16-256\/PRF_HMAC_SHA2_384\/ECP_384\n/);
  t.regex(text, /child azure-hq-1: INSTALLED ESP AES_GCM_16-256.*in \d+ bytes\/3 packets, out \d+ bytes\/3 packets, installed .*, rekey in \d+ s/);
  t.regex(text, /interface az-hq-1: routes 10\.2\.0\.0\/24, 10\.3\.0\.0\/16/);
});

test('routes missing from the XFRM interface are said, though the SAs are up', (t) => {
  const status = vpnStatusOf(recordedFile, observed('established', { routes: new Map([['az-hq-1', JSON.parse(recorded('established/no-routes.json')) as { dst: string }[]]]) }));
  t.like(status.tunnels[0], { up: true, xfrm: { routesPresent: false, routes: [] } });
  t.regex(describeStatus(status), /interface az-hq-1: routes missing \(has none\)/);
});

test('a refused proposal: down, exit 3, naming what we propose and what Azure accepts', (t) => {
  const reasons = new Map([['azure-hq-1', lastFailure(recorded('no-proposal/journal.json'), recordedTunnel)!]]);
  const status = vpnStatusOf(recordedFile, observed('no-proposal', { reasons }));
  t.like(status.tunnels[0], { up: false, loaded: true, ikeState: 'down', children: [{ name: 'azure-hq-1', state: 'down', up: false }] });
  t.is(exitCodeOf(status), 3);
  t.regex(describeStatus(status), /down: NO_PROPOSAL_CHOSEN .*we propose IKE aes256gcm16-prfsha384-ecp384 and ESP aes256gcm16-ecp384; Azure's policy accepts IKE aes256-sha1-modp1024, aes256-sha256-modp1024 and ESP aes256gcm16, aes256-sha1/);
});

test('a connection charon has not loaded is "not loaded", and another tunnel\'s SA does not count', (t) => {
  const file = { ...recordedFile, tunnels: [...recordedFile.tunnels, { ...recordedTunnel, name: 'azure-hq-2', gateway: '10.99.0.3', index: 2, children: ['azure-hq-2'], xfrm: undefined }] };
  const status = vpnStatusOf(file, observed('established'));
  t.like(status.tunnels[1], { name: 'azure-hq-2', loaded: false, ikeState: 'not loaded', up: false });
  t.is(exitCodeOf(status), 3);
  t.regex(describeStatus(status), /azure-hq-2 .*: not loaded\n.*\n  down: charon has not loaded this connection/);
});

test('a peer that does not answer is said with charon\'s own words', (t) => {
  const reasons = new Map([['azure-hq-1', lastFailure(recorded('dead-peer/journal.json'), recordedTunnel)!]]);
  t.regex(describeStatus(vpnStatusOf(recordedFile, observed('dead-peer', { reasons }))), /down: the gateway does not answer .*giving up after 2 retransmits/);
});

test('a gateway that stays silent is said once per message, with how often, not once per retry', (t) => {
  const tunnel = { proposals: { ike: [], esp: [] }, azureAccepts: { ike: [], esp: [] } };
  const text = describeReason(tunnel, { kind: 'peer-not-responding', messages: Array.from({ length: 8 }, () => 'giving up after 3 retransmits') });
  t.regex(text, /: giving up after 3 retransmits \(8 times\); check/);
});
