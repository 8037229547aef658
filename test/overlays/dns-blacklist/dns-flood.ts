/**
 * A flood of identical DNS queries from one client address, sent from one UDP socket in this
 * process (dns-packet encodes and decodes), for response rate limiting tests. It drives the
 * rate the test needs instead of assuming the machine reaches it: it sends bursts until, within
 * some one-second stretch, more queries went out than the limit allows, however long a busy
 * machine makes that take; then it waits for the answers that are still coming.
 */
import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

export interface FloodResult {
  sent: number;
  /** Most queries sent within one second. */
  peakPerSecond: number;
  answered: number;
  /** Answers with TC=1 (RRL's slip). */
  truncated: number;
  /** Full answers carrying an address. */
  withAddress: number;
}

/** The most timestamps within any one-second window. */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

export async function floodQueries(options: { server: string; port: number; from: string; name: string; atLeastPerSecond: number; quietMs?: number }): Promise<FloodResult> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, options.from, resolve));
  const result: FloodResult = { sent: 0, peakPerSecond: 0, answered: 0, truncated: 0, withAddress: 0 };
  let lastAnswer = Date.now();
  socket.on('message', (message) => {
    lastAnswer = Date.now();
    const packet = dnsPacket.decode(message);
    result.answered++;
    if (packet.flag_tc) result.truncated++;
    else if ((packet.answers ?? []).some((answer) => answer.type === 'A')) result.withAddress++;
  });
  const times: number[] = [];
  try {
    while (result.peakPerSecond <= options.atLeastPerSecond) {
      for (let i = 0; i < 50; i++) {
        const query = dnsPacket.encode({ type: 'query', id: (result.sent + i) & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: options.name }] });
        await new Promise<void>((resolve, reject) => socket.send(query, options.port, options.server, (error) => (error ? reject(error) : resolve())));
        times.push(Date.now());
      }
      result.sent = times.length;
      result.peakPerSecond = peakPerSecond(times);
    }
    // answers still on their way: wait until none has come for a while
    const quiet = options.quietMs ?? 2000;
    while (Date.now() - lastAnswer < quiet) await new Promise((resolve) => setTimeout(resolve, 100));
    return result;
  } finally {
    socket.close();
  }
}
