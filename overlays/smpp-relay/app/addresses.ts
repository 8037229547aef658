/**
 * Source and destination addresses as Kannel puts them into submit_sm (gw/smsc/smsc_smpp.c,
 * msg_to_pdu()): the link's TON/NPI when both are set, else national and ISDN; then, as
 * Kannel's autodetect-addr (on by default) does even over configured values, a leading '+' on
 * digits makes the number international and is dropped, and a sender that is not all digits is
 * alphanumeric. And what an address may be: Kannel only refuses one over 20 octets, and only in
 * bearerbox, after sendsms accepted it; here sendsms refuses it, and control characters too.
 */
import type { LinkSettings } from './types.js';

export const TON = { unknown: 0, international: 1, national: 2, alphanumeric: 5 } as const;
export const NPI = { unknown: 0, isdn: 1 } as const;

/** The longest address submit_sm carries (SMPP 3.4 5.2.8, 5.2.9: source_addr and destination_addr are 21 octets with the NUL). */
export const MAX_ADDRESS = 20;

/**
 * The longest alphanumeric sender: 3GPP TS 23.040 9.1.2.5 gives TP-OA at most 10 octets of
 * address value, 11 characters of the GSM 7-bit alphabet. SMPP does not say it (21 octets for
 * any TON), and Kannel sends longer ones; SMSCs cut them or refuse them (ESME_RINVSRCADR).
 */
export const MAX_ALPHANUMERIC = 11;

/**
 * C0 controls and DEL. An address is a C-Octet String (SMPP 3.4 3.1): a NUL in it ends the field
 * early and the octets after it are read as the next fields (a sender "A\0\1\1 99999" sets
 * the destination); no number or name has any of the others either.
 */
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface Address {
  addr: string;
  ton: number;
  npi: number;
}

const digits = (text: string) => /^\d*$/.test(text);

/** The sender as submit_sm carries it on this link; Kannel's address autodetection applies over a configured TON/NPI. */
export function sourceAddress(from: string, link: Pick<LinkSettings, 'sourceAddrTon' | 'sourceAddrNpi'>): Address {
  const forced = link.sourceAddrTon !== undefined && link.sourceAddrNpi !== undefined;
  const base = forced ? { ton: link.sourceAddrTon!, npi: link.sourceAddrNpi! } : { ton: TON.national, npi: NPI.isdn };
  const international = from.startsWith('+');
  if (!digits(international ? from.slice(1) : from)) return { addr: from, ton: TON.alphanumeric, npi: NPI.unknown };
  if (international) return { addr: from.slice(1), ton: TON.international, npi: base.npi };
  return { addr: from, ...base };
}

/** The receiver as submit_sm carries it on this link: a leading '+' always makes it international. */
export function destinationAddress(to: string, link: Pick<LinkSettings, 'destAddrTon' | 'destAddrNpi'>): Address {
  const forced = link.destAddrTon !== undefined && link.destAddrNpi !== undefined;
  const base = forced ? { ton: link.destAddrTon!, npi: link.destAddrNpi! } : { ton: TON.national, npi: NPI.isdn };
  if (to.startsWith('+')) return { addr: to.slice(1), ton: TON.international, npi: base.npi };
  return { addr: to, ...base };
}

/** Why an address cannot go into submit_sm as it is (a sentence), or undefined when it can. */
export function addressProblem(address: Address): string | undefined {
  const { addr, ton } = address;
  if (CONTROL.test(addr)) return `${JSON.stringify(addr)} has control characters`;
  if (ton === TON.alphanumeric && addr.length > MAX_ALPHANUMERIC) return `the alphanumeric ${JSON.stringify(addr)} is longer than ${MAX_ALPHANUMERIC} characters`;
  if (addr.length > MAX_ADDRESS) return `${JSON.stringify(addr)} is longer than the ${MAX_ADDRESS} octets submit_sm carries`;
  return undefined;
}

/** A sender's problem as any link would send it (autodetection decides alphanumeric or not, whatever a link configures). */
export function senderProblem(from: string): string | undefined {
  return addressProblem(sourceAddress(from, {}));
}

/** A receiver's problem as any link would send it. */
export function receiverProblem(to: string): string | undefined {
  return addressProblem(destinationAddress(to, {}));
}
