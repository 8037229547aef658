/**
 * What the relay puts into and takes out of the `smpp` package's PDUs: submit_sm and bind
 * parameters, submit_sm_resp statuses as results (Kannel's smpp_status_to_smscconn_failure_reason),
 * and deliver_sm as a DeliverSm with the message's raw octets.
 */
import smpp from 'smpp';
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

/** bind_transmitter / bind_transceiver parameters. */
export function bindParams(settings: LinkSettings): Record<string, unknown> {
  return {
    system_id: settings.systemId,
    password: settings.password,
    system_type: settings.systemType,
    interface_version: INTERFACE_VERSION,
    address_range: settings.addressRange,
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
