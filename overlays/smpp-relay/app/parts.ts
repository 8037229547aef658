/**
 * One stored part as the submit_sm a link sends: the addresses in the link's TON/NPI, the
 * coding and header flags of the message, a receipt asked for when the client wants one, and
 * sendsms's pid, priority, validity and deferred.
 */
import { addressProblem, destinationAddress, sourceAddress } from './addresses.js';
import { registeredDelivery } from './dlr.js';
import { Receipts } from './receipts.js';
import type { StoredMessage } from './store.js';
import type { LinkSettings, SubmitPart } from './types.js';

/** esm_class mode bits 0x03 (SMPP 3.4 section 5.2.12), Kannel's default `esm-class`. */
const STORE_AND_FORWARD = 0x03;

/** A part no SMSC can take (an address submit_sm cannot carry): it fails without a try. */
export class MalformedPart extends Error {}

/** SMPP 3.4's relative time form (section 7.1.1): YYMMDDhhmmss, tenths, quarter-hours, 'R'. */
export function relativeTime(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  // years and months stay 0: a day count up to 99 covers any validity a client asks (sendsms takes minutes)
  return `0000${two(Math.min(days, 99))}${two(hours)}${two(minutes % 60)}00000R`;
}

/** The submit_sm for part `index` of a message on this link. */
export function submitPartFor(message: StoredMessage, index: number, link: LinkSettings): SubmitPart {
  const source = sourceAddress(message.from, link);
  const destination = destinationAddress(message.to, link);
  // sendsms refuses such addresses; a message stored before it did, or by another way in, stops here
  const problem = addressProblem(source) ?? addressProblem(destination);
  if (problem) throw new MalformedPart(`cannot be sent on ${link.name}: ${problem}`);
  return {
    sourceAddr: source.addr,
    sourceAddrTon: source.ton,
    sourceAddrNpi: source.npi,
    destinationAddr: destination.addr,
    destAddrTon: destination.ton,
    destAddrNpi: destination.npi,
    dataCoding: message.dataCoding,
    // Kannel's default esm-class, store and forward (0x03), under the message's UDHI and reply-path bits
    esmClass: STORE_AND_FORWARD | message.esmClass,
    shortMessage: Buffer.from(message.parts[index] ?? '', 'base64'),
    registeredDelivery: Receipts.wantsReceipt(message, index) ? registeredDelivery(message.dlrMask) : 0,
    ...(message.protocolId === undefined ? {} : { protocolId: message.protocolId }),
    ...(message.priority === undefined ? {} : { priorityFlag: message.priority }),
    ...(message.validityMinutes === undefined ? {} : { validityPeriod: relativeTime(message.validityMinutes) }),
    ...(message.deferredMinutes === undefined ? {} : { scheduleDeliveryTime: relativeTime(message.deferredMinutes) }),
  };
}
