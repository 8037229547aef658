import test from 'ava';
import { renderStatusText, type LinkStatus, type RelayStatus } from '../../../../overlays/smpp-relay/app/status.js';

function link(change: Partial<LinkStatus> = {}): LinkStatus {
  return {
    name: 'a1',
    smscId: 'carrier',
    host: 'smpp1.example',
    port: 2775,
    state: 'bound',
    onlineSeconds: 12,
    health: { state: 'in', failures: 0 },
    queued: 3,
    inFlight: 2,
    window: 10,
    counters: { sent: 40, failed: 1, lastError: '', throttled: undefined },
    ...change,
  };
}

const STATUS: RelayStatus = {
  version: '1.0.0',
  uptimeSeconds: 3600,
  links: [
    link(),
    link({ name: 'a2', host: 'smpp2.example', onlineSeconds: 5, health: { state: 'out', failures: 3, probeAt: 1, lastFailure: 'no answer within wait-ack' }, queued: 0, inFlight: 0, counters: {} }),
    link({ name: 'backup', smscId: 'other', state: 'reconnecting', health: { state: 'probing', failures: 3, lastFailure: 'system error' }, queued: 0, inFlight: 0, counters: { lastError: 'link lost at 2024-01-31T12:00:00.000Z' } }),
  ],
  waiting: 7,
  messages: { accepted: 100, open: 4, sent: 140, failed: 2 },
  receipts: { awaited: 9, received: 80, unmatched: 1 },
  dlrUrls: { pending: 1, fetched: 70, retried: 3, failed: 0 },
  store: { path: '/var/spool/kannel/smpp-relay.journal', bytes: 4096, state: 'writable', backlog: 0, quarantined: 0 },
};

test('the text status shows each link like Kannel\'s "online 12s", with health, queue and window, then the totals', (t) => {
  t.is(renderStatusText(STATUS), [
    'McDebian smpp-relay 1.0.0, up 3600s',
    '',
    'Links:',
    '  a1               carrier          smpp1.example:2775 online 12s, queued 3, in flight 2/10, sent 40, failed 1',
    '  a2               carrier          smpp2.example:2775 online 5s [out of rotation: no answer within wait-ack], queued 0, in flight 0/10',
    '  backup           other            smpp1.example:2775 reconnecting [probing: system error], queued 0, in flight 0/10, lastError link lost at 2024-01-31T12:00:00.000Z',
    '',
    'Messages: accepted 100, open 4, sent 140 parts, failed 2 parts, waiting for a link 7 parts',
    'Receipts: awaited 9, received 80, unmatched 1',
    'DLR URLs: pending 1, fetched 70, retried 3, given up 0',
    'Store: /var/spool/kannel/smpp-relay.journal, 4096 bytes, writable',
    '',
  ].join('\n'));
});

test('a store that cannot write says so in the status, with since when, what waits in memory and why; quarantined lines are counted', (t) => {
  const store: RelayStatus['store'] = {
    path: '/var/spool/kannel/smpp-relay.journal',
    bytes: 4096,
    state: 'degraded',
    backlog: 12,
    since: '2024-01-31T12:00:00.000Z',
    lastError: 'could not append: ENOSPC: no space left on device',
    quarantined: 2,
    quarantineFile: '/var/spool/kannel/smpp-relay.journal.quarantine',
  };
  const line = renderStatusText({ ...STATUS, store }).split('\n').find((text) => text.startsWith('Store:'));
  t.is(line, 'Store: /var/spool/kannel/smpp-relay.journal, 4096 bytes, NOT WRITABLE since 2024-01-31T12:00:00.000Z, new messages refused, ' +
    '12 records held in memory: could not append: ENOSPC: no space left on device; 2 damaged lines quarantined to /var/spool/kannel/smpp-relay.journal.quarantine');
});
