/**
 * What the relay puts into and takes out of the `smpp` package's PDUs: submit_sm and bind
 * parameters, submit_sm_resp statuses as results (Kannel's smpp_status_to_smscconn_failure_reason),
 * and deliver_sm as a DeliverSm with the message's raw octets.
 */
import smpp from 'smpp';
import { cOctetStringProblem, cutToField } from './smpp-c-octet-strings.js';
import type { DeliverSm, LinkSettings, SubmitPart, SubmitResult } from './types.js';

/** SMPP 3.4: the relay speaks 3.4 (the package would announce 0x50, SMPP 5.0). */
export const INTERFACE_VERSION = 0x34;

/** short_message is at most 254 octets (SMPP 3.4 §5.2.22); longer parts must be split before. */
export const MAX_SHORT_MESSAGE = 254;

/** Statuses Kannel treats as worth another try (gw/smsc/smsc_smpp.c, smpp_status_to_smscconn_failure_reason). */
const TEMPORARY = new Set([smpp.errors.ESME_RMSGQFUL, smpp.errors.ESME_RTHROTTLED, smpp.errors.ESME_RX_T_APPN, smpp.errors.ESME_RSYSERR]);

const names = new Map<number, string>(Object.entries(smpp.errors).map(([name, value]) => [value, name]));

/** `ESME_RTHROTTLED (0x58)`; a status the package has no name for only as hex. */
export function describeStatus(status: number): string {
  const hex = `0x${status.toString(16).padStart(2, '0')}`;
  const name = names.get(status);
  return name ? `${name} (${hex})` : hex;
}

/** What a submit_sm_resp (or a generic_nack for a submit) means for the part. */
export function submitResult(status: number, messageId: unknown): SubmitResult {
  if (status === 0) return { kind: 'ok', messageId: typeof messageId === 'string' ? messageId : '' };
  const reason = `the SMSC answered ${describeStatus(status)}`;
  return TEMPORARY.has(status) ? { kind: 'temporary', status, reason } : { kind: 'permanent', status, reason };
}

/** submit_sm's parameters for one part; short_message goes as a Buffer, which the encode filter passes untouched. */
export function submitParams(part: SubmitPart): Record<string, unknown> {
  return {
    source_addr_ton: part.sourceAddrTon,
    source_addr_npi: part.sourceAddrNpi,
    source_addr: part.sourceAddr,
    dest_addr_ton: part.destAddrTon,
    dest_addr_npi: part.destAddrNpi,
    destination_addr: part.destinationAddr,
    esm_class: part.esmClass,
    registered_delivery: part.registeredDelivery,
    // explicit, or the package's encode would pick IA5 (0x01) for text (overlays/smpp-relay/README.md)
    data_coding: part.dataCoding,
    short_message: part.shortMessage,
    ...(part.protocolId !== undefined && { protocol_id: part.protocolId }),
    ...(part.priorityFlag !== undefined && { priority_flag: part.priorityFlag }),
    // relative times (YYMMDDhhmmss000R) go as given: the package's time filter pads only 12-character ones
    ...(part.validityPeriod !== undefined && { validity_period: part.validityPeriod }),
    ...(part.scheduleDeliveryTime !== undefined && { schedule_delivery_time: part.scheduleDeliveryTime }),
  };
}

/** The kannel.conf keys of the bind's C-Octet Strings. */
const BIND_KEYS = { system_id: 'smsc-username', password: 'smsc-password', system_type: 'system-type', address_range: 'address-range' } as const;

/** bind_transmitter / bind_transceiver parameters, each cut to its field as Kannel cuts it; `cut` names the kannel.conf keys that were. */
export function bindParams(settings: LinkSettings): Record<string, unknown> & { cut: string[] } {
  const given = { system_id: settings.systemId, password: settings.password, system_type: settings.systemType, address_range: settings.addressRange };
  const params: Record<string, string> = {};
  const cut: string[] = [];
  for (const [field, value] of Object.entries(given) as [keyof typeof BIND_KEYS, string][]) {
    params[field] = cutToField('bind_transmitter', field, value);
    if (params[field] !== value) cut.push(BIND_KEYS[field]);
  }
  return { ...params, interface_version: INTERFACE_VERSION, cut };
}

/** SMPP's own status for a field submit_sm cannot carry (section 5.1.3), for the part's failure and its NACK. */
const FIELD_STATUS: Readonly<Record<string, number>> = {
  source_addr: smpp.errors.ESME_RINVSRCADR,
  destination_addr: smpp.errors.ESME_RINVDSTADR,
  service_type: smpp.errors.ESME_RINVSERTYP,
  schedule_delivery_time: smpp.errors.ESME_RINVSCHED,
  validity_period: smpp.errors.ESME_RINVEXPIRY,
};

/** Why a part can never go as submit_sm (permanent, never written to the socket); undefined when it can. */
export function unsendablePart(part: SubmitPart, params: Readonly<Record<string, unknown>>): Extract<SubmitResult, { kind: 'permanent' }> | undefined {
  if (part.shortMessage.length > MAX_SHORT_MESSAGE) {
    return { kind: 'permanent', status: smpp.errors.ESME_RINVMSGLEN, reason: `not sent: short_message of ${part.shortMessage.length} octets, at most ${MAX_SHORT_MESSAGE}` };
  }
  const refused = cOctetStringProblem('submit_sm', params);
  if (!refused) return undefined;
  return { kind: 'permanent', status: FIELD_STATUS[refused.field] ?? smpp.errors.ESME_RUNKNOWNERR, reason: `not sent: submit_sm's ${refused.field} ${refused.problem}` };
}

/** The shortest PDU: its header (SMPP 3.4 section 3.2). */
export const MIN_PDU_LENGTH = 16;

/**
 * The longest PDU taken: Kannel's MAX_SMPP_PDU_LEN (gw/smsc/smpp_pdu.c, 7424 octets since
 * 1.4), so no SMSC that works with Kannel sends more. SMPP 3.4 sets no limit; the package's own
 * is 16384, and each PDU is read into memory whole before it is parsed.
 */
export const MAX_PDU_LENGTH = 7424;

let framing = false;

/**
 * Makes a command_length under 16 or over MAX_PDU_LENGTH a read error. The package reads the
 * length itself (PDU.commandLength(), lib/pdu.js) and refuses only one over its maxLength; a
 * length of 0 is taken for "nothing yet", 1 to 15 waits for a body it never reads: either way
 * the stream has lost its framing and the link stalls, bound, until enquire_link finds it dead
 * (the 40 s), and the answers behind the bad PDU are lost. As a read error, the session
 * emits 'error' and reads nothing more, so the link drops the connection at once (Kannel's
 * smpp_pdu_read_len() refuses the same lengths, then answers generic_nack and reads on).
 */
export function guardFraming(): void {
  if (framing) return;
  framing = true;
  smpp.PDU.maxLength = MAX_PDU_LENGTH;
  const readLength = smpp.PDU.commandLength;
  smpp.PDU.commandLength = (stream) => {
    const length = readLength(stream);
    if (length !== false && length < MIN_PDU_LENGTH) {
      throw new Error(`PDU length was too small (${length}, minimum is ${MIN_PDU_LENGTH})`);
    }
    return length;
  };
}

const raw = new WeakMap<object, Map<string, Buffer>>();
let keeping = false;

/**
 * Makes every decoded PDU keep the raw octets of short_message and message_payload, read back
 * with rawOctets(). The package's decode filter (defs.js, filters.message) turns them into
 * `{ udh, message }` with the text decoded by data_coding, which loses octets (GSM 03.38 maps
 * unknown codes to spaces, data_coding is read as `& 0x0F`) and cannot be undone. The filters
 * are looked up from the shared command/TLV tables at decode time, so each one is wrapped once
 * to note its input first; the decoded value stays as the package makes it for any other user.
 */
export function keepRawOctets(): void {
  if (keeping) return;
  keeping = true;
  for (const command of ['submit_sm', 'deliver_sm', 'data_sm']) wrapDecode(smpp.commands[command]?.params?.short_message, 'short_message');
  for (const tlv of ['message_payload']) wrapDecode(smpp.tlvs[tlv], tlv);
}

function wrapDecode(definition: smpp.FieldDefinition | undefined, field: string): void {
  const filter = definition?.filter;
  if (!definition || !filter) return;
  definition.filter = {
    encode: filter.encode,
    decode(value, skipUdh) {
      if (Buffer.isBuffer(value)) {
        const fields = raw.get(this) ?? new Map<string, Buffer>();
        raw.set(this, fields.set(field, value));
      }
      return filter.decode.call(this, value, skipUdh);
    },
  };
}

/** The octets a field had on the wire (keepRawOctets must have run before the PDU was read). */
export function rawOctets(pdu: smpp.PDU, field: 'short_message' | 'message_payload'): Buffer | undefined {
  return raw.get(pdu)?.get(field);
}

/** A received deliver_sm as the relay sees it. */
export function toDeliverSm(link: string, pdu: smpp.PDU): DeliverSm {
  const tlvs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pdu)) {
    // named TLVs the package knows, and unknown ones under their numeric tag
    if (key in smpp.tlvs || /^\d+$/.test(key)) tlvs[key] = value;
  }
  const payload = rawOctets(pdu, 'message_payload');
  if (payload) tlvs.message_payload = payload;
  return {
    link,
    sourceAddr: String(pdu.source_addr ?? ''),
    destinationAddr: String(pdu.destination_addr ?? ''),
    esmClass: Number(pdu.esm_class ?? 0),
    dataCoding: Number(pdu.data_coding ?? 0),
    shortMessage: rawOctets(pdu, 'short_message') ?? Buffer.alloc(0),
    tlvs,
  };
}
