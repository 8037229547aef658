/**
 * smpp-relay against Kannel, one run each, figures printed (never asserted):
 *   npm run bench:smpp
 * The same kannel.conf (one SMPP link, max-pending-submits 10, one account) and the same SMSC
 * simulator answering at once, for the relay (its command line, store fsync'd before each 202)
 * and for Kannel 1.4.5 (bearerbox + smsbox, its file store). MESSAGES messages over HTTP from
 * CLIENTS concurrent clients (8: smsbox's listen backlog is 10, more only measures its stalls).
 * Printed: messages per second answered 202 over HTTP and delivered to the SMSC, the HTTP answer
 * time, and the time from the request to the submit_sm at the SMSC, p50 and p99.
 */
import { sleep, type Gateway } from '../overlays/smpp-relay/helpers/gateway.js';
import { testConf } from '../overlays/smpp-relay/helpers/kannel-conf-text.js';
import { startKannel } from '../overlays/smpp-relay/helpers/kannel.js';
import { startRelay } from '../overlays/smpp-relay/helpers/relay.js';
import { startSimulator, type SmscSimulator } from '../overlays/smpp-relay/helpers/smsc-simulator.js';

const MESSAGES = Number(process.env.MESSAGES ?? 5000);
const CLIENTS = Number(process.env.CLIENTS ?? 8);

interface Figures {
  accepted: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  http: [p50: number, p99: number];
  endToEnd: [p50: number, p99: number];
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
const pair = (values: number[]): [number, number] => {
  const sorted = [...values].sort((a, b) => a - b);
  return [percentile(sorted, 50), percentile(sorted, 99)];
};

async function drive(gateway: Gateway, smsc: SmscSimulator, tag: string): Promise<Figures> {
  const sentAt = new Map<string, number>();
  const http: number[] = [];
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  const client = async () => {
    while (next < MESSAGES) {
      const text = `${tag}${next++}`;
      const at = performance.now();
      sentAt.set(text, Date.now());
      const answer = await gateway.sendsms({ username: 'bench', password: 'bench-pw', to: '4917', text });
      http.push(performance.now() - at);
      if (answer.status === 202) accepted += 1;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const acceptedIn = (performance.now() - started) / 1000;
  const mine = () => smsc.submits.filter((submit) => submit.status === 0 && submit.shortMessage.toString('latin1').startsWith(tag));
  while (new Set(mine().map((submit) => submit.shortMessage.toString('latin1'))).size < accepted) await sleep(20);
  const deliveredIn = (performance.now() - started) / 1000;
  const endToEnd = mine().map((submit) => submit.at - (sentAt.get(submit.shortMessage.toString('latin1')) ?? submit.at));
  return { accepted, acceptedPerSecond: accepted / acceptedIn, deliveredPerSecond: accepted / deliveredIn, http: pair(http), endToEnd: pair(endToEnd) };
}

async function run(kind: 'relay' | 'kannel', smsc: SmscSimulator): Promise<Figures> {
  const conf = await testConf({
    smsc: [{ 'smsc-id': 'a', port: smsc.port, 'smsc-username': 'bench', 'smsc-password': 'pw', 'max-pending-submits': 10 }],
    users: [{ username: 'bench', password: 'bench-pw' }],
  });
  const gateway = kind === 'relay' ? await startRelay({ conf: conf.text }) : await startKannel({ conf: conf.text });
  try {
    await gateway.waitForLinks({ a: 'online' });
    await drive(gateway, smsc, `${kind}-warm`);
    return await drive(gateway, smsc, `${kind}-`);
  } finally {
    await gateway.stop();
  }
}

const smsc = await startSimulator({ accounts: [{ systemId: 'bench', password: 'pw' }], behaviour: { receipts: false } });
try {
  const rows: [string, Figures][] = [];
  for (const kind of ['relay', 'kannel'] as const) {
    process.stderr.write(`bench: ${kind}, ${MESSAGES} messages, ${CLIENTS} clients\n`);
    rows.push([kind, await run(kind, smsc)]);
  }
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  console.log(`smpp-relay vs Kannel: ${MESSAGES} messages, ${CLIENTS} HTTP clients, one SMPP link (window 10), simulator answering at once`);
  console.log('| gateway | accepted (202) | accepted/s | delivered/s | HTTP p50 | HTTP p99 | request to SMSC p50 | p99 |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [kind, f] of rows) {
    console.log(`| ${kind} | ${f.accepted} | ${f.acceptedPerSecond.toFixed(0)} | ${f.deliveredPerSecond.toFixed(0)} | ${ms(f.http[0])} | ${ms(f.http[1])} | ${ms(f.endToEnd[0])} | ${ms(f.endToEnd[1])} |`);
  }
} finally {
  await smsc.close();
}
