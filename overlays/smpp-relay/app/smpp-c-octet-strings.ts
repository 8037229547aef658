/**
 * The guard before a PDU is encoded. A C-Octet String (SMPP 3.4 section 3.1: characters ended
 * by a NUL) with a NUL inside, or longer than its field, shifts every field after it: the SMSC
 * reads the rest of a sender as the destination, registered_delivery and so on. The `smpp`
 * package writes what it is given (types.cstring: the string's low octets, then a NUL; U+0100
 * becomes a NUL too) and checks nothing, so the relay checks every such field here, whatever
 * built the PDU: sendsms, a message replayed from the journal, a future caller.
 */
import smpp from 'smpp';

/**
 * The most octets of each C-Octet String, NUL included, in the PDUs the relay sends (SMPP 3.4
 * section 4: 4.1.1 and 4.1.5 binds, 4.4.1 submit_sm, 4.6.2 deliver_sm_resp, 4.7.2 data_sm_resp).
 * A field missing here is still checked for NULs.
 */
const MAX_OCTETS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  bind_transmitter: { system_id: 16, password: 9, system_type: 13, address_range: 41 },
  bind_transceiver: { system_id: 16, password: 9, system_type: 13, address_range: 41 },
  bind_receiver: { system_id: 16, password: 9, system_type: 13, address_range: 41 },
  submit_sm: { service_type: 6, source_addr: 21, destination_addr: 21, schedule_delivery_time: 17, validity_period: 17 },
  deliver_sm_resp: { message_id: 65 },
  data_sm_resp: { message_id: 65 },
};

/** Fields in SMPP's time format (section 7.1.1): empty, or exactly 16 characters. */
const TIMES = new Set(['schedule_delivery_time', 'validity_period']);

/** A field the guard refuses, and why. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** The octets the package would write for a value; a sentence when it cannot be written as one octet a character. */
function octetsOf(value: unknown): Buffer | string {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'string') return `is a ${typeof value}, not text`;
  // Buffer.from(value, 'ascii'), as the package writes it, keeps each character's low octet
  if (/[^\u0000-\u00ff]/.test(value)) return 'has characters beyond one octet';
  return Buffer.from(value, 'latin1');
}

function fieldProblem(command: string, field: string, value: unknown): string | undefined {
  const octets = octetsOf(value);
  if (typeof octets === 'string') return octets;
  const nul = octets.indexOf(0);
  if (nul >= 0) return `has a NUL at octet ${nul + 1}`;
  const max = MAX_OCTETS[command]?.[field];
  if (max !== undefined && octets.length >= max) return `is ${octets.length} octets, at most ${max - 1}`;
  if (TIMES.has(field) && octets.length !== 0 && octets.length !== 16) return `is not an SMPP time (16 characters): ${JSON.stringify(octets.toString('latin1'))}`;
  return undefined;
}

/** The first C-Octet String field of a PDU's parameters that cannot be encoded as it is; undefined when all can. */
export function cOctetStringProblem(command: string, params: Readonly<Record<string, unknown>>): FieldProblem | undefined {
  for (const [field, definition] of Object.entries(smpp.commands[command]?.params ?? {})) {
    if (definition.type !== smpp.types.cstring || params[field] === undefined) continue;
    const problem = fieldProblem(command, field, params[field]);
    if (problem !== undefined) return { field, problem };
  }
  return undefined;
}

/**
 * A configured value cut to its field, as Kannel's smpp_pdu_pack() cuts every C-Octet String
 * (with a warning) instead of refusing it: a kannel.conf whose smsc-password is longer than 8
 * bound with its first 8 characters, and must go on doing so.
 */
export function cutToField(command: string, field: string, value: string): string {
  const max = MAX_OCTETS[command]?.[field];
  return max === undefined ? value : value.slice(0, max - 1);
}
