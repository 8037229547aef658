/**
 * Differential: the DLR URL fetches that follow a message, by dlr-mask and by what the SMSC
 * does (acks and a DELIVRD receipt, an UNDELIV receipt, a refusal), on real Kannel 1.4.5 and on
 * the relay with the same kannel.conf and one transceiver link; and what each asks the SMSC for
 * when a dlr-mask comes without any dlr-url.
 */
import type { Gateway } from './helpers/gateway.js';
import type { ConfSpec } from './helpers/kannel-conf-text.js';
import type { Behaviour } from './helpers/smsc-simulator.js';
import { differentialTest, runBoth, startDlrServer, submitsOf, waitForArrivals, type Smscs } from './helpers/differential.js';

const SEND = { username: 'app', password: 'secret', from: '1000', to: '4915112345678' };

const setup = {
  accounts: ['upstream'],
  conf: (ports: Record<string, number>): ConfSpec => ({
    smsc: [{ 'smsc-id': 'upstream', port: ports.upstream!, 'smsc-username': 'upstream', 'smsc-password': 'upstream', 'transceiver-mode': true }],
    users: [{ username: 'app', password: 'secret', name: 'service-name' }],
  }),
};

/** Each message: its dlr-mask, how the SMSC treats it, and the DLR types Kannel fetches for it (verified on 1.4.5). */
const CASES: [message: string, mask: string, smsc: Partial<Behaviour>, types: number[]][] = [
  ['delivered-31', '31', {}, [1, 8]],
  ['delivered-1', '1', {}, [1]],
  ['delivered-8', '8', {}, [8]],
  ['undelivered-31', '31', { receiptStat: 'UNDELIV' }, [2, 8]],
  ['refused-31', '31', { status: 0x45 }, [16]],
  ['refused-2', '2', { status: 0x45 }, [16]],
  ['refused-16', '16', { status: 0x45 }, [16]],
];

/** Kannel's escapes: type, receiver, sender, smsc-id, the account's name, the reply (receipt text with its dates and id masked). */
const ESCAPES = 'type=%d&to=%p&from=%P&smsc=%i&service=%n&reply=%A';
const masked = (hit: string) => decodeURIComponent(hit).replace(/date:\d{10}/g, 'date:D').replace(/id:\d+/, 'id:N');

/** One message at a time, the SMSC set for it; waits for the fetches Kannel makes, then a moment for any more. */
async function fetches(gateway: Gateway, smscs: Smscs) {
  const dlrs = await startDlrServer();
  try {
    await gateway.waitForLinks({ upstream: 'online' });
    const seen: Record<string, unknown> = {};
    for (const [message, mask, behaviour, types] of CASES) {
      smscs.upstream!.behave({ status: 0, receiptStat: 'DELIVRD', ...behaviour });
      const answer = await gateway.sendsms({ ...SEND, text: message, 'dlr-mask': mask, 'dlr-url': `${dlrs.url}?message=${message}&${ESCAPES}` });
      const mine = () => dlrs.hits.filter((hit) => hit.includes(`message=${message}&`));
      await smscs.upstream!.waitFor(() => mine().length >= types.length, 30_000).catch(() => { /* compared below */ });
      seen[message] = { answer, fetched: mine().map(masked).sort() };
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { seen, total: dlrs.hits.length };
  } finally {
    dlrs.server.close();
  }
}

differentialTest('DLR URLs: the same fetches, types and escapes for acks, receipts and refusals on Kannel and the relay', async (t) => {
  const { kannel, relay } = await runBoth(t, setup, fetches);
  t.deepEqual(relay, kannel);
  for (const [message, , , types] of CASES) {
    const { fetched } = kannel.seen[message] as { fetched: string[] };
    t.deepEqual(fetched.map((hit) => Number(/type=(\d+)/.exec(hit)?.[1])).sort(), types, message);
  }
  t.deepEqual(kannel.seen['delivered-1'], {
    answer: { status: 202, body: '0: Accepted for delivery' },
    fetched: ['/dlr?message=delivered-1&type=1&to=4915112345678&from=1000&smsc=upstream&service=service-name&reply=id:N+sub:001+dlvrd:001+submit+date:D+done+date:D+stat:DELIVRD+err:000+text:delivered-1'],
  });
});

/** dlr-mask without a dlr-url (the account has none either): the answer, and the registered_delivery asked for. */
async function maskWithoutUrl(gateway: Gateway, smscs: Smscs) {
  await gateway.waitForLinks({ upstream: 'online' });
  const answer = await gateway.sendsms({ ...SEND, text: 'mask-without-url', 'dlr-mask': '31' });
  await waitForArrivals(smscs, ['mask-without-url']);
  return { answer, registeredDelivery: submitsOf(smscs, 'mask-without-url').map((submit) => submit.registeredDelivery) };
}

differentialTest('dlr-mask without any dlr-url: both accept it; the relay drops the mask (sendsms.ts) and asks the SMSC for no receipt, where Kannel asks for one (0x11) it can post nowhere', async (t) => {
  const { kannel, relay } = await runBoth(t, setup, maskWithoutUrl);
  t.deepEqual(relay.answer, kannel.answer);
  t.deepEqual(kannel, { answer: { status: 202, body: '0: Accepted for delivery' }, registeredDelivery: [0x11] });
  t.deepEqual(relay.registeredDelivery, [0]);
});
