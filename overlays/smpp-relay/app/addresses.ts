/**
 * Source and destination addresses as Kannel puts them into submit_sm (gw/smsc/smsc_smpp.c,
 * msg_to_pdu()): the link's TON/NPI when both are set, else national and ISDN; then, as
 * Kannel's autodetect-addr (on by default) does even over configured values, a leading '+' on
 * digits makes the number international and is dropped, and a sender that is not all digits is
 * alphanumeric.
 */
import type { LinkSettings } from './types.js';

export const TON = { unknown: 0, international: 1, national: 2, alphanumeric: 5 } as const;
export const NPI = { unknown: 0, isdn: 1 } as const;

/** The longest address submit_sm carries (SMPP 3.4, source_addr and destination_addr: 21 octets with the NUL). */
export const MAX_ADDRESS = 20;

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
