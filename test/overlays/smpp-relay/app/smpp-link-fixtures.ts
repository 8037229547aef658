/** A link against the simulator, with settings small enough that tests take seconds. */
import type { ExecutionContext } from 'ava';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { SmppLink, type LinkState, type SmppLinkOptions } from '../../../../overlays/smpp-relay/app/smpp-link.js';
import type { LinkSettings, SubmitPart, SubmitResult } from '../../../../overlays/smpp-relay/app/types.js';
import { startSimulator, type SimulatorOptions, type SmscSimulator } from '../helpers/smsc-simulator.js';

export const ACCOUNT = { systemId: 'relay', password: 'secret' };

export function linkSettings(port: number, change: Partial<LinkSettings> = {}): LinkSettings {
  return {
    origin: { file: 'kannel.conf', line: 1 },
    name: 'upstream',
    smscId: 'upstream',
    host: '127.0.0.1',
    port,
    tls: false,
    transceiver: false,
    systemId: ACCOUNT.systemId,
    password: ACCOUNT.password,
    systemType: 'VMA',
    addressRange: '',
    enquireLinkInterval: 30,
    maxPendingSubmits: 5,
    reconnectDelay: 0.1,
    throughput: 0,
    waitAck: 10,
    waitAckExpire: 'reconnect',
    connectionTimeout: 30,
    healthFailures: 3,
    healthProbeDelay: 5,
    ...change,
  };
}

export function part(text = 'hello', change: Partial<SubmitPart> = {}): SubmitPart {
  return {
    sourceAddr: 'McDebian',
    sourceAddrTon: 5,
    sourceAddrNpi: 0,
    destinationAddr: '358401234567',
    destAddrTon: 1,
    destAddrNpi: 1,
    dataCoding: 0,
    esmClass: 0,
    shortMessage: Buffer.from(text, 'latin1'),
    registeredDelivery: 0,
    ...change,
  };
}

export interface Fixture {
  sim: SmscSimulator;
  link: SmppLink;
  log: ReturnType<typeof createMemoryLog>;
  states: LinkState[];
}

/** A simulator and a started link to it, both gone when the test ends. */
export async function setUp(
  t: ExecutionContext,
  options: { settings?: Partial<LinkSettings>; simulator?: Partial<SimulatorOptions>; link?: Partial<SmppLinkOptions>; start?: boolean } = {},
): Promise<Fixture> {
  const sim = await startSimulator({ accounts: [ACCOUNT], ...options.simulator });
  const log = createMemoryLog();
  const link = new SmppLink(linkSettings(sim.port, options.settings), { log, random: () => 0, ...options.link });
  const states: LinkState[] = [];
  link.on('state', (state) => states.push(state));
  t.teardown(async () => {
    await link.stop();
    await sim.close();
  });
  if (options.start !== false) link.start();
  return { sim, link, log, states };
}

/** Resolves when the link is in this state. */
export async function reach(link: SmppLink, state: LinkState, timeoutMs = 30_000): Promise<void> {
  if (link.state === state) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`link still ${link.state}, not ${state}, after ${timeoutMs} ms`)), timeoutMs);
    const listener = (now: LinkState) => {
      if (now !== state) return;
      clearTimeout(timer);
      link.off('state', listener);
      resolve();
    };
    link.on('state', listener);
  });
}

/** Resolves when canSend() is true, as the relay's dispatcher waits: on 'ready'. */
export async function ready(link: SmppLink, timeoutMs = 30_000): Promise<void> {
  if (link.canSend()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'ready' within ${timeoutMs} ms (state ${link.state}, in flight ${link.inFlight})`)), timeoutMs);
    link.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Submits each part as soon as the link can take it; the results in order. */
export async function submitAll(link: SmppLink, parts: SubmitPart[]): Promise<SubmitResult[]> {
  const results: Promise<SubmitResult>[] = [];
  for (const one of parts) {
    await ready(link);
    results.push(link.submit(one));
  }
  return Promise.all(results);
}

/** Submits each part until it is not temporary, as the relay resends; the final results. */
export async function deliverAll(link: SmppLink, parts: SubmitPart[], tries = 10): Promise<SubmitResult[]> {
  const results: SubmitResult[] = [];
  const queue = parts.map((one, index) => ({ one, index, tries: 0 }));
  const sending = new Set<Promise<void>>();
  while (queue.length > 0 || sending.size > 0) {
    if (queue.length === 0) {
      await Promise.race(sending);
      continue;
    }
    await ready(link);
    const job = queue.shift()!;
    const sent: Promise<void> = link.submit(job.one).then((result) => {
      job.tries += 1;
      if (result.kind === 'temporary' && job.tries < tries) queue.push(job);
      else results[job.index] = result;
      sending.delete(sent);
    });
    sending.add(sent);
  }
  return results;
}

export const hasLine = (log: { lines: string[] }, text: string) => log.lines.some((line) => line.includes(text));
