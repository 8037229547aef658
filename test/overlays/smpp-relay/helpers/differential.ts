/**
 * The smpp-relay differential tests' runner: one scenario, run on real Kannel and then on the
 * relay, each time on a kannel.conf made the same way and on fresh SMSCs of its own (one
 * simulator per SMSC account), so the two halves never share an SMSC and every process of a
 * half is stopped before the next starts, however the half ends. A scenario returns what it
 * saw (the HTTP answers, which account each message arrived on), and the test compares.
 */
import type { ExecutionContext } from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep, type Gateway } from './gateway.js';
import { testConf, type ConfSpec } from './kannel-conf-text.js';
import { BEARERBOX, SMSBOX, startKannel } from './kannel.js';
import { startRelay } from './relay.js';
import { startSimulator, type RecordedSubmit, type SmscSimulator } from './smsc-simulator.js';
import { testNeeding } from '../../../helpers/tools.js';

/** The SMSCs of a half, by the one account each has (its system_id and its password). */
export type Smscs = Record<string, SmscSimulator>;

/** What the two halves share: the SMSC accounts and the conf on their ports. */
export interface Setup {
  accounts: string[];
  conf(ports: Record<string, number>): ConfSpec;
  /** A last edit of the conf text, for what testConf always writes (global-sender). */
  edit?(text: string): string;
}

export type Scenario<T> = (gateway: Gateway, smscs: Smscs) => Promise<T>;

/** One sendsms: its text names the message. */
export interface Answer {
  message: string;
  status: number;
  body: string;
}

/** A message, the gateway's answer, and the accounts it arrived on (sorted; two for a duplicate). */
export interface Observation extends Answer {
  arrivedOn: string[];
}

/** A serial test that needs these programs (by path: /usr/sbin is often not on a user's PATH). */
export function serialTestNeeding(files: Record<string, string>, title: string, run: (t: ExecutionContext) => Promise<void>): void {
  testNeeding({ tools: files }, { serial: true })(title, run);
}

const KANNEL = { [BEARERBOX]: 'kannel', [SMSBOX]: 'kannel' };

/** A differential test: needs Kannel, runs serially. */
export function differentialTest(title: string, run: (t: ExecutionContext) => Promise<void>): void {
  serialTestNeeding(KANNEL, title, run);
}

type StartedGateway = Gateway & { logs(): string | Promise<string> };

/**
 * Starts the gateway on a conf with fresh ports, and makes sure it is the one answering there:
 * testConf's ports are free when chosen, and a test file running beside this one can take one
 * before the gateway listens (seen: the relay's admin port answered by another test's Kannel).
 * Then the gateway exits or never serves, and the half starts again on other ports.
 */
async function startGateway(t: ExecutionContext, kind: Gateway['kind'], setup: Setup, smscs: Smscs): Promise<StartedGateway> {
  for (let attempt = 1; ; attempt++) {
    const conf = await testConf(setup.conf(Object.fromEntries(Object.entries(smscs).map(([account, smsc]) => [account, smsc.port]))));
    const text = setup.edit ? setup.edit(conf.text) : conf.text;
    const gateway: StartedGateway | Error = await (kind === 'kannel' ? startKannel({ conf: text }) : startRelay({ conf: text })).catch((error: Error) => error);
    const problem = gateway instanceof Error ? gateway : await gateway.linkStates().then(() => undefined, (error: Error) => error);
    if (!problem) return gateway as StartedGateway;
    if (!(gateway instanceof Error)) await gateway.stop();
    if (attempt === 3) throw problem;
    t.log(`${kind} did not start (${problem.message.split('\n')[0]}); again on other ports`);
  }
}

/** Runs `scenario` on one gateway; on failure the gateway's logs go to the test's log. */
export async function runOn<T>(t: ExecutionContext, kind: Gateway['kind'], setup: Setup, scenario: Scenario<T>): Promise<T> {
  const smscs: Smscs = {};
  let gateway: StartedGateway | undefined;
  try {
    for (const account of setup.accounts) smscs[account] = await startSimulator({ accounts: [{ systemId: account, password: account }] });
    gateway = await startGateway(t, kind, setup, smscs);
    return await scenario(gateway, smscs);
  } catch (error) {
    if (gateway) t.log(`${kind} logs (the end):\n${(await gateway.logs()).slice(-6000)}`);
    throw error;
  } finally {
    await gateway?.stop();
    await Promise.all(Object.values(smscs).map((smsc) => smsc.close()));
  }
}

/** Runs `scenario` on Kannel, then on the relay. */
export async function runBoth<T>(t: ExecutionContext, setup: Setup, scenario: Scenario<T>): Promise<{ kannel: T; relay: T }> {
  const kannel = await runOn(t, 'kannel', setup, scenario);
  const relay = await runOn(t, 'relay', setup, scenario);
  return { kannel, relay };
}

/**
 * Sends one sendsms per message with `params` (the text is the message's name unless `params`
 * has one), at most `concurrency` at a time: Kannel's smsbox listens with a backlog of 10, so
 * keep it at 8 or below.
 */
export async function sendEach(gateway: Gateway, messages: readonly string[], params: Record<string, string>, concurrency = 1): Promise<Answer[]> {
  const answers: Answer[] = new Array<Answer>(messages.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < messages.length; index = next++) {
      const message = messages[index]!;
      answers[index] = { message, ...await gateway.sendsms({ text: message, ...params }) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker));
  return answers;
}

/** `count` message names: `prefix-1`, `prefix-2`... */
export function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index + 1}`);
}

/** A submit's text: UCS-2 (data_coding 8) or else one octet a character, after any UDH. */
function textOf(submit: RecordedSubmit): string {
  const octets = (submit.esmClass & 0x40) !== 0 ? submit.shortMessage.subarray((submit.shortMessage[0] ?? 0) + 1) : submit.shortMessage;
  return submit.dataCoding === 8 && octets.length % 2 === 0 ? Buffer.from(octets).swap16().toString('utf16le') : octets.toString('latin1');
}

/** Whether a submit carries the message (whose text is its name, or starts with its name and a space). */
function carries(submit: RecordedSubmit, message: string): boolean {
  const text = textOf(submit);
  return text === message || text.startsWith(`${message} `);
}

/** The submits that carry a message, from every SMSC. */
export function submitsOf(smscs: Smscs, message: string): RecordedSubmit[] {
  return Object.values(smscs).flatMap((smsc) => smsc.submits.filter((submit) => carries(submit, message)));
}

/** The accounts a message's submit_sm came in on, sorted. */
export function arrivals(smscs: Smscs, message: string): string[] {
  return submitsOf(smscs, message).map((submit) => submit.account).sort();
}

/** Resolves once every message has arrived at some SMSC; names the missing ones on timeout. */
export async function waitForArrivals(smscs: Smscs, messages: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = messages.filter((message) => arrivals(smscs, message).length === 0);
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not arrived after ${timeoutMs} ms: ${missing.join(', ')}`);
    await sleep(10);
  }
}

/** The answers with where each message arrived, after a moment for late duplicates. */
export async function observe(smscs: Smscs, answers: readonly Answer[], settleMs = 300): Promise<Observation[]> {
  await sleep(settleMs);
  return answers.map((answer) => ({ ...answer, arrivedOn: arrivals(smscs, answer.message) }));
}

/** Messages each account took, from observations. */
export function countByAccount(observations: readonly Observation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { arrivedOn } of observations) for (const account of arrivedOn) counts[account] = (counts[account] ?? 0) + 1;
  return counts;
}

/** An HTTP server on loopback that records every request's path and query: a DLR URL. */
export async function startDlrServer(): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '/');
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dlr`, hits };
}
