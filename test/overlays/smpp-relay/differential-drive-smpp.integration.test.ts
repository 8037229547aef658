/**
 * Kannel's own SMPP test server, drive_smpp (kannel-extras), as an upstream for the relay that
 * owes nothing to our simulator: it takes bind_transmitter only, answers every submit_sm with
 * an empty message_id, counts what it got, and quits when its ESME goes away.
 */
import { DRIVE_SMPP, startDriveSmpp, type RunningDriveSmpp } from './helpers/drive-smpp.js';
import { names, sendEach, serialTestNeeding, startDlrServer } from './helpers/differential.js';
import { sleep } from './helpers/gateway.js';
import { freePort } from '../../helpers/guest.js';
import { testConf } from './helpers/kannel-conf-text.js';
import { startRelay, type RunningRelay } from './helpers/relay.js';

const MESSAGES = 20;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(50);
  }
}

serialTestNeeding({ [DRIVE_SMPP]: 'kannel-extras' }, 'drive_smpp as the upstream: every sendsms reaches it by its own count, its empty message_ids leave no receipt awaited and crash nothing, and the relay shows the link', async (t) => {
  const port = await freePort();
  let drive: RunningDriveSmpp | undefined;
  let relay: RunningRelay | undefined;
  const dlrs = await startDlrServer();
  try {
    drive = await startDriveSmpp({ port, messages: MESSAGES });
    const conf = await testConf({
      smsc: [{ 'smsc-id': 'drive', port, 'smsc-username': 'relay', 'smsc-password': 'relay' }],
      users: [{ username: 'app', password: 'secret' }],
    });
    relay = await startRelay({ conf: conf.text });
    await relay.waitForLinks({ drive: 'online' });
    // dlr-mask 31 asks for the phone's receipt too: with no message_id, none can ever be matched
    const params = { username: 'app', password: 'secret', to: '4915112345678', 'dlr-mask': '31', 'dlr-url': `${dlrs.url}?type=%d` };
    const answers = await sendEach(relay, names('to-drive-smpp', MESSAGES), params, 8);
    t.deepEqual(new Set(answers.map((answer) => `${answer.status} ${answer.body}`)), new Set(['202 0: Accepted for delivery']));
    await until(() => drive!.submitted() >= MESSAGES, `drive_smpp counting ${MESSAGES} submits`);
    await until(() => dlrs.hits.length >= MESSAGES, `${MESSAGES} DLR URLs fetched`);
    t.deepEqual(dlrs.hits.map((hit) => new URL(hit, dlrs.url).searchParams.get('type')), new Array<string>(MESSAGES).fill('8'), 'each an SMSC ack, nothing else');

    const status = await relay.status();
    t.like(status.links[0], { name: 'drive', smscId: 'drive', port, state: 'bound', inFlight: 0, queued: 0, health: { state: 'in' } });
    t.like(status.links[0]?.counters, { submitted: MESSAGES, acked: MESSAGES, failedTemporary: 0, failedPermanent: 0 });
    t.like(status, { waiting: 0, messages: { accepted: MESSAGES, open: 0, sent: MESSAGES, failed: 0 }, receipts: { awaited: 0 } });
    t.notRegex(relay.logs(), /\b(error|uncaught|TypeError)\b/i);

    await relay.stop();
    relay = undefined;
    // the relay unbinds; drive_smpp quits on that and prints its own total
    t.true(await drive.waitForExit(5000), 'drive_smpp still running after the relay unbound');
    t.is(drive.submitted(), MESSAGES, await drive.log());
  } finally {
    await relay?.stop();
    await drive?.stop();
    dlrs.server.close();
  }
});
