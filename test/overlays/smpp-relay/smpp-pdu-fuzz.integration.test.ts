/**
 * Fuzzing the SMPP PDU path: a link against a hostile SMSC (helpers/hostile-smsc.ts, a raw
 * TCP server) that binds it, then answers submits with acks, statuses, odd but well-framed
 * PDUs, and bytes that break the framing: impossible lengths, truncated or overlong bodies,
 * flipped bytes, garbage. The properties: the process never crashes and the link never stalls
 * (every part settles, each wait for the link bounded); an impossible length drops the link at
 * once, by that reason, not later by a timeout; and no part the SMSC acknowledged on a
 * connection whose framing was intact is submitted again.
 */
import test from 'ava';
import fc from 'fast-check';
import smpp from 'smpp';
import { MAX_PDU_LENGTH } from '../../../overlays/smpp-relay/app/smpp-pdu.js';
import { createMemoryLog } from '../../../overlays/runtime/service-log.js';
import { SmppLink } from '../../../overlays/smpp-relay/app/smpp-link.js';
import { encodePdu, startHostileSmsc, type HostileAction } from './helpers/hostile-smsc.js';
import type { SubmitResult } from '../../../overlays/smpp-relay/app/types.js';
import { linkSettings, part } from './app/smpp-link-fixtures.js';

const KNOWN_IDS = new Set(Object.values(smpp.commands).map((command) => command.id));

/** A 16-octet header and a body. */
function header(length: number, id: number, status: number, sequence: number, body: Uint8Array = new Uint8Array()): Buffer {
  const octets = Buffer.alloc(16);
  octets.writeUInt32BE(length >>> 0, 0);
  octets.writeUInt32BE(id >>> 0, 4);
  octets.writeUInt32BE(status >>> 0, 8);
  octets.writeUInt32BE(sequence >>> 0, 12);
  return Buffer.concat([octets, body]);
}

/** Sequence numbers the link never uses (it counts from 1): an answer to one answers nothing. */
const strangeSequence = fc.integer({ min: 0x40000000, max: 0x7fffffff });

const deliverSm = fc.tuple(strangeSequence, fc.uint8Array({ maxLength: 60 })).map(([sequence, text]) =>
  encodePdu('deliver_sm', { sequence_number: sequence, source_addr: '4917', destination_addr: '12345', short_message: Buffer.from(text) }));

/** Well-framed PDUs the link must answer or ignore, and then carry on. */
const odd: fc.Arbitrary<HostileAction> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 0xffffffff }).filter((id) => !KNOWN_IDS.has(id)), strangeSequence, fc.uint8Array({ maxLength: 32 }))
    .map(([id, sequence, body]) => header(16 + body.length, id, 0, sequence, body)),
  fc.tuple(fc.constantFrom('submit_sm_resp', 'generic_nack', 'enquire_link_resp', 'bind_transmitter_resp', 'deliver_sm_resp'), strangeSequence, fc.constantFrom(0, 0x08, 0x58, 0xff))
    .map(([command, sequence, status]) => encodePdu(command, { sequence_number: sequence, command_status: status })),
  deliverSm,
).map((octets) => ({ kind: 'odd', octets }));

const isImpossible = (octets: Buffer) => octets.length >= 4 && (octets.readUInt32BE(0) < 16 || octets.readUInt32BE(0) > MAX_PDU_LENGTH);

/** Bytes after which the framing may be lost. */
const broken: fc.Arbitrary<HostileAction> = fc.oneof(
  fc.tuple(fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: MAX_PDU_LENGTH + 1, max: 0xffffffff })), fc.uint8Array({ maxLength: 24 }))
    .map(([length, rest]) => header(length, 0x80000004, 0, 1, rest)),
  deliverSm.chain((octets) => fc.integer({ min: 16, max: octets.length - 1 }).map((cut) => {
    const truncated = Buffer.from(octets.subarray(0, cut));
    truncated.writeUInt32BE(cut, 0);
    return truncated;
  })),
  fc.tuple(deliverSm, fc.integer({ min: 1, max: 200 })).map(([octets, more]) => {
    const overlong = Buffer.from(octets);
    overlong.writeUInt32BE(octets.length + more, 0);
    return overlong;
  }),
  fc.tuple(deliverSm, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([octets, at, mask]) => {
    const flipped = Buffer.from(octets);
    flipped[at % flipped.length]! ^= mask;
    return flipped;
  }),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((octets) => Buffer.from(octets)),
).map((octets) => ({ kind: 'break', octets, impossibleLength: isImpossible(octets) }));

const action: fc.Arbitrary<HostileAction> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'ack' } as const) },
  { weight: 2, arbitrary: fc.constantFrom(0x0b, 0x14, 0x45, 0x08).map((status) => ({ kind: 'status', status }) as const) },
  { weight: 3, arbitrary: odd },
  { weight: 2, arbitrary: broken },
);

/**
 * Submits each text until it settles for good, as the dispatcher does: on the link's 'ready',
 * synchronously while canSend(), a temporary one again. Rejects when the link stalls: parts
 * unsettled at the deadline, which only a lost framing nobody noticed can cause.
 */
function settleAll(link: SmppLink, texts: string[], deadlineMs: number): Promise<Map<string, SubmitResult>> {
  return new Promise((resolve, reject) => {
    const queue = [...texts];
    const results = new Map<string, SubmitResult>();
    const timer = setTimeout(() => {
      link.off('ready', pump);
      reject(new Error(`stalled: ${results.size} of ${texts.length} settled after ${deadlineMs} ms, the link ${link.state} with ${link.inFlight} in flight`));
    }, deadlineMs);
    function pump(): void {
      while (queue.length > 0 && link.canSend()) {
        const text = queue.shift()!;
        void link.submit(part(text)).then((result) => settle(text, result));
      }
    }
    function settle(text: string, result: SubmitResult): void {
      if (result.kind === 'temporary') {
        queue.push(text);
        return pump();
      }
      results.set(text, result);
      if (results.size < texts.length) return;
      clearTimeout(timer);
      link.off('ready', pump);
      resolve(results);
    }
    link.on('ready', pump);
    pump();
  });
}

/** Why a connection ended, by the link's own log line, one per connection in order. */
const LOSS = / lost: | cannot bind to /;
const BY_TIMER = /wait-ack|enquire_link|connection-timeout|not bound within/;

test('a hostile SMSC never crashes the process nor stalls a link; impossible lengths drop it at once; nothing acknowledged is submitted again', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 5 }), async (actions, count) => {
      runs += 1;
      const smsc = await startHostileSmsc(actions);
      const log = createMemoryLog();
      // timers generous, so that a connection ends by a timer only when its framing is gone
      const settings = linkSettings(smsc.port, { enquireLinkInterval: 1, connectionTimeout: 30, waitAck: 5, waitAckExpire: 'reconnect', reconnectDelay: 0.05, maxPendingSubmits: 3 });
      const link = new SmppLink(settings, { log, random: () => 0 });
      link.start();
      try {
        await settleAll(link, Array.from({ length: count }, (_, i) => `m${i}`), 25_000);
        const endings = log.lines.filter((line) => LOSS.test(line));
        for (const session of smsc.sessions.filter((one) => one.brokenByLength)) {
          const ending = endings[session.id - 1] ?? '(none)';
          if (!/PDU length was too (small|large)/.test(ending)) throw new Error(`connection ${session.id} broke by its length but ended: ${ending}`);
        }
        const acked = new Map<string, number>();
        for (const submit of smsc.submits) {
          const ackedOn = acked.get(submit.text);
          // only a connection a timer ended may have lost an ack it was sent (a loaded machine)
          if (ackedOn !== undefined && !BY_TIMER.test(endings[ackedOn - 1] ?? '')) {
            throw new Error(`${submit.text} was acked on connection ${ackedOn} and submitted again on ${submit.session}`);
          }
          if (submit.cleanAck) acked.set(submit.text, submit.session);
        }
      } finally {
        await link.stop();
        await smsc.close();
      }
    }),
    { numRuns: 60, interruptAfterTimeLimit: 35_000, markInterruptAsFailure: false, includeErrorInReport: true },
  );
  t.true(runs > 0, 'at least one run');
  t.log(`${runs} runs`);
});
