/** Why a tunnel failed, from charon's journal, recorded from strongSwan 5.9.8 (record.sh). */
import test from 'ava';
import { lastFailure } from '../../../../overlays/vpn-azure/app/charon-log.js';
import { recorded } from '../status-fixtures.js';

const ours = { name: 'azure-hq-1', gateway: '10.99.0.2' };

test('we initiated and the gateway refused every proposal: NO_PROPOSAL_CHOSEN', (t) => {
  t.like(lastFailure(recorded('no-proposal/journal.json'), ours), { kind: 'no-proposal-chosen', messages: ['received NO_PROPOSAL_CHOSEN notify error'] });
});

test('the gateway initiated with proposals we do not have: both sides\' lists, though the IKE_SA had no name yet', (t) => {
  // the peer's log is a responder's: its gateway is our address, its connection "azure"
  const reason = lastFailure(recorded('no-proposal/peer-journal.json'), { name: 'azure', gateway: '10.99.0.1' });
  t.is(reason?.kind, 'no-proposal-chosen');
  t.is(reason?.receivedProposals, 'IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384');
  t.regex(reason?.configuredProposals ?? '', /^IKE:AES_CBC_256\/HMAC_SHA1_96\/PRF_HMAC_SHA1\/MODP_1024, /);
});

test('a wrong pre-shared key: AUTHENTICATION_FAILED on our side, the MAC mismatch on the side that checked it', (t) => {
  t.like(lastFailure(recorded('wrong-psk/journal.json'), ours), { kind: 'authentication-failed', messages: ['received AUTHENTICATION_FAILED notify error'] });
  const peer = lastFailure(recorded('wrong-psk/peer-journal.json'), { name: 'azure', gateway: '10.99.0.1' });
  t.is(peer?.kind, 'authentication-failed');
  t.true(peer?.messages.some((message) => /^tried 1 shared key for .* but MAC mismatched$/.test(message)));
});

test('a peer that does not answer: charon gave up after its retransmits', (t) => {
  const reason = lastFailure(recorded('dead-peer/journal.json'), ours);
  t.is(reason?.kind, 'peer-not-responding');
  t.deepEqual(reason?.messages, ['giving up after 2 retransmits', 'establishing IKE_SA failed, peer not responding']);
  t.is(typeof reason?.at, 'number');
});

test('another tunnel\'s failure is not ours, and an established tunnel\'s log has none', (t) => {
  t.is(lastFailure(recorded('dead-peer/journal.json'), { name: 'azure-branch-1', gateway: '192.0.2.7' }), undefined);
  t.is(lastFailure(recorded('established/journal.json'), ours), undefined);
});

test('after a restart the latest failure is the one reported, not an older one with the same IKE_SA id', (t) => {
  const journal = `${recorded('wrong-psk/journal.json')}${recorded('dead-peer/journal.json')}`;
  t.is(lastFailure(journal, ours)?.kind, 'peer-not-responding');
});
