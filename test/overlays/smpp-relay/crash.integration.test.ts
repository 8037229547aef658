/**
 * Nothing lost: the relay is killed with SIGKILL while clients are sending and the SMSC is
 * answering, then started again on the same store. Every message answered 202 must reach the
 * SMSC; a message whose acknowledgement the relay had recorded before the kill must not be
 * sent again; the only repeats allowed are submits that were in flight when it died.
 */
import test from 'ava';
import { Journal } from '../../../overlays/runtime/journal.js';
import type { StoreRecord } from '../../../overlays/smpp-relay/app/store.js';
import { sleep } from './helpers/gateway.js';
import { testConf } from './helpers/kannel-conf-text.js';
import { startRelay } from './helpers/relay.js';
import { startSimulator } from './helpers/smsc-simulator.js';

const WINDOW = 10;

/** What the store had recorded when the relay died: message id -> text, and the ids acknowledged. */
async function readStore(path: string): Promise<{ texts: Map<string, string>; acked: Set<string> }> {
  const { journal, records } = await Journal.open<StoreRecord>({ path });
  await journal.close();
  const texts = new Map<string, string>();
  const acked = new Set<string>();
  for (const record of records) {
    if (record.t === 'accept') texts.set(record.m.id, record.m.text);
    if (record.t === 'sent') acked.add(record.id);
  }
  return { texts, acked };
}

test('after kill -9 under load every accepted message is delivered, and none the SMSC acknowledged to the relay is sent again', async (t) => {
  const smsc = await startSimulator({ accounts: [{ systemId: 'one', password: 'pw1' }], behaviour: { delayMs: 20 } });
  const conf = await testConf({
    smsc: [{ 'smsc-id': 'a', port: smsc.port, 'smsc-username': 'one', 'smsc-password': 'pw1', 'max-pending-submits': WINDOW }],
    users: [{ username: 'app', password: 'secret' }],
  });
  const relay = await startRelay({ conf: conf.text });
  try {
    await relay.waitForLinks({ a: 'online' });
    const accepted = new Set<string>();
    let next = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const text = `c${next++}`;
        const answer = await relay.sendsms({ username: 'app', password: 'secret', to: '4917', text }).catch(() => undefined);
        if (answer?.status === 202) accepted.add(text);
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await sleep(1500);
    await relay.kill();
    stop = true;
    await Promise.all(clients);
    const killedAt = Date.now();
    const before = await readStore(relay.storePath);
    const sentBefore = new Set(smsc.submits.map((submit) => submit.shortMessage.toString('latin1')));

    await relay.restart();
    const delivered = () => new Set(smsc.submits.filter((submit) => submit.status === 0).map((submit) => submit.shortMessage.toString('latin1')));
    const allDelivered = () => {
      const texts = delivered();
      return [...accepted].every((text) => texts.has(text));
    };
    await smsc.waitFor(allDelivered, 30_000).catch(async (error: Error) => {
      const missing = [...accepted].filter((text) => !delivered().has(text));
      const status = await relay.status().catch(() => undefined);
      throw new Error(`${error.message}: ${missing.length} accepted messages never delivered (${missing.slice(0, 5).join(', ')}); status ${JSON.stringify(status?.messages)}, waiting ${status?.waiting}, links ${JSON.stringify(status?.links)}\n${relay.logs().slice(-2000)}`);
    });
    for (let open = Infinity; open > 0; await sleep(100)) open = (await relay.status()).messages.open;

    const ackedTexts = new Set([...before.acked].map((id) => before.texts.get(id)));
    const resentAfterAck = smsc.submits.filter((submit) => submit.at >= killedAt && ackedTexts.has(submit.shortMessage.toString('latin1')));
    const counts = new Map<string, number>();
    for (const submit of smsc.submits) counts.set(submit.shortMessage.toString('latin1'), (counts.get(submit.shortMessage.toString('latin1')) ?? 0) + 1);
    const repeated = [...counts].filter(([, count]) => count > 1).map(([text]) => text);
    t.log(`${accepted.size} accepted before the kill, ${before.acked.size} acknowledged in the store, ${sentBefore.size} seen by the SMSC; ${repeated.length} sent twice`);
    t.true(accepted.size > 50, `only ${accepted.size} messages were accepted before the kill: the test did not load the relay`);
    t.deepEqual(resentAfterAck.map((submit) => submit.shortMessage.toString('latin1')), [], 'acknowledged messages were sent again');
    t.true(repeated.length <= WINDOW, `${repeated.length} messages were sent twice; at most the ${WINDOW} in flight at the kill may be`);
    t.true(repeated.every((text) => sentBefore.has(text) && !ackedTexts.has(text)));
  } finally {
    await relay.stop();
    await smsc.close();
  }
});
