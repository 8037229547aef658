/**
 * Delivery receipts: reading one from a deliver_sm, Kannel's DLR types (gw/dlr.h), how Kannel
 * turns a receipt into one (handle_dlr(), gw/smsc/smsc_smpp.c), how it compares the SMSC's
 * message ids (msg-id-type), and the texts of its SMSC ack/nack reports (bb_smscconn_sent(),
 * bb_smscconn_send_failed(), gw/bb_smscconn.c). Pure: no I/O.
 */
import type { DeliverSm } from './types.js';

/** Kannel's DLR types (gw/dlr.h); a dlr-mask is an OR of them. Expired is "0x20|DLR_FAIL". */
export const DLR = { delivered: 1, failed: 2, buffered: 4, smscAck: 8, smscNack: 16, expired: 0x22 } as const;

export type DlrType = (typeof DLR)[keyof typeof DLR];

/** A delivery receipt as read from a deliver_sm. */
export interface Receipt {
  /** The SMSC's message id: the receipted_message_id TLV when present, else the text's `id:`. */
  id: string;
  /** message_state TLV (SMPP 3.4 section 5.3.2.35), kept only beside receipted_message_id as Kannel uses it. */
  messageState?: number;
  /** network_error_code TLV: network type, then a 2-octet error (SMPP 3.4 section 5.3.2.31). */
  networkErrorCode?: Buffer;
  /** The text's fields (SMPP 3.4 Appendix B), as given. */
  sub?: number;
  dlvrd?: number;
  /** YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss. */
  submitDate?: string;
  doneDate?: string;
  stat?: string;
  err?: string;
  text?: string;
  /** What Kannel puts in %A: short_message, or message_payload when short_message is empty. */
  raw: Buffer;
}

/** esm_class bits of a receipt: MC delivery receipt, SME delivery ack, intermediate notification (SMPP 3.4 section 5.2.12). */
const RECEIPT_ESM = 0x04 | 0x08 | 0x20;

/** A TLV value as the smpp package may hand it over: Buffer, string, or a decoded message. */
function tlvBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value && typeof value === 'object' && 'message' in value) return tlvBytes((value as { message: unknown }).message);
  return undefined;
}

function tlvString(value: unknown): string | undefined {
  const text = (typeof value === 'string' ? value : tlvBytes(value)?.toString('latin1'))?.replace(/\0+$/, '').trim();
  return text ? text : undefined;
}

/** One `key:value` of the receipt text (keys without case; Kannel's sscanf wants them lower-case). */
function field(head: string, key: string): string | undefined {
  return new RegExp(`(?:^|\\s)${key}:(\\S+)`, 'i').exec(head)?.[1];
}

function numberField(head: string, key: string): number | undefined {
  const value = field(head, key);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** The fields of a receipt text; `text:` is last and runs to the end (it may hold spaces and keys). */
function parseText(raw: string): Omit<Receipt, 'id' | 'raw'> & { id?: string } {
  const textAt = /(?:^|\s)text:/i.exec(raw);
  const head = textAt ? raw.slice(0, textAt.index) : raw;
  const fields = {
    id: field(head, 'id'),
    sub: numberField(head, 'sub'),
    dlvrd: numberField(head, 'dlvrd'),
    submitDate: /submit[ _]?date:(\d+)/i.exec(head)?.[1],
    doneDate: /done[ _]?date:(\d+)/i.exec(head)?.[1],
    stat: field(head, 'stat'),
    err: field(head, 'err'),
    text: textAt ? raw.slice(textAt.index + textAt[0].length) : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Whether a text reads like a receipt though esm_class says nothing (Kannel takes such texts as MO). */
function looksLikeReceipt(text: string): boolean {
  return /^\s*id:\S/i.test(text) && /(?:^|\s)stat:\S/i.test(text);
}

/** message_state values that say something in SMPP 3.4 (0 and 9 are 5.0's; Kannel reads the text then). */
function usableState(state: number | undefined): boolean {
  return state !== undefined && state !== 0 && state !== 9;
}

/**
 * The receipt in a deliver_sm, or undefined when it is not one (an MO) or says neither which
 * message nor what became of it. TLVs win over the text, as in handle_dlr().
 */
export function parseReceipt(deliver: DeliverSm): Receipt | undefined {
  const payload = tlvBytes(deliver.tlvs.message_payload);
  const raw = deliver.shortMessage.length > 0 ? deliver.shortMessage : (payload ?? Buffer.alloc(0));
  const rawText = raw.toString('latin1');
  if ((deliver.esmClass & RECEIPT_ESM) === 0 && !looksLikeReceipt(rawText)) return undefined;
  const tlvId = tlvString(deliver.tlvs.receipted_message_id);
  const state = tlvId === undefined ? undefined : deliver.tlvs.message_state;
  const messageState = typeof state === 'number' ? state : undefined;
  const parsed = parseText(rawText);
  const id = tlvId ?? parsed.id;
  if (id === undefined || (raw.length === 0 && !usableState(messageState))) return undefined;
  const networkErrorCode = tlvBytes(deliver.tlvs.network_error_code);
  return {
    ...parsed,
    id,
    ...(messageState === undefined ? {} : { messageState }),
    ...(networkErrorCode === undefined ? {} : { networkErrorCode }),
    raw,
  };
}

/** message_state -> DLR type (handle_dlr(), SMPP 3.4 section 5.3.2.35); any other value is a failure. */
const STATE_TYPES: Readonly<Record<number, DlrType>> = {
  1: DLR.buffered, // ENROUTE
  2: DLR.delivered, // DELIVERED
  3: DLR.expired, // EXPIRED
  4: DLR.failed, // DELETED
  5: DLR.failed, // UNDELIVERABLE
  6: DLR.buffered, // ACCEPTED
  7: DLR.failed, // UNKNOWN
  8: DLR.failed, // REJECTED
};

/** stat values Kannel reads as "still on its way"; DELIVRD is delivered, everything else failed. */
const BUFFERED_STATS = new Set(['ACCEPTD', 'ACKED', 'BUFFRED', 'BUFFERD', 'ENROUTE']);

/**
 * Kannel's DLR type for a receipt: message_state when usable, else stat. Stat is compared
 * without case (Kannel compares exactly, so "delivrd" would be a failure there). An expired
 * message_state gives 0x22, as Kannel's %d shows it; a stat of EXPIRED gives 2.
 */
export function receiptDlrType(receipt: Receipt): DlrType {
  if (usableState(receipt.messageState)) return STATE_TYPES[receipt.messageState ?? -1] ?? DLR.failed;
  const stat = receipt.stat?.toUpperCase();
  if (stat === 'DELIVRD') return DLR.delivered;
  return stat !== undefined && BUFFERED_STATS.has(stat) ? DLR.buffered : DLR.failed;
}

/** Whether a dlr-mask asks for a DLR type (dlr_find(), gw/dlr.c). */
export function dlrWanted(type: number, mask: number): boolean {
  return mask > 0 && (type & mask) !== 0;
}

/** Whether a receipt ends the wait: not when it is intermediate and the mask asks for the final one (dlr_find()). */
export function dlrEndsWait(type: number, mask: number): boolean {
  const notFinal = (type & (DLR.buffered | DLR.smscAck)) !== 0;
  return !(notFinal && (mask & (DLR.delivered | DLR.failed | 0x20 | 0x40)) !== 0);
}

/** registered_delivery for a dlr-mask (msg_to_pdu()): 1 final, 2 failure only, +16 intermediate. */
export function registeredDelivery(mask: number): number {
  if (mask <= 0) return 0;
  const wantsFinal = (mask & (DLR.delivered | DLR.failed | 0x20 | 0x40)) !== 0;
  const failureOnly = (mask & DLR.delivered) === 0 && wantsFinal;
  return (failureOnly ? 2 : wantsFinal ? 1 : 0) + ((mask & DLR.buffered) !== 0 ? 16 : 0);
}

/** Which PDU a message id came in: msg-id-type bit 1 is submit_sm_resp's, bit 2 deliver_sm's. */
export type MessageIdSource = 'submit_sm_resp' | 'deliver_sm';

const INT64_MAX = (1n << 63n) - 1n;

/**
 * C's strtoll() then printf("%llu"), as Kannel reads an id: leading blanks, a sign, for hex
 * an optional 0x, then as many digits as there are (none: 0); out of range clamps, and a
 * negative value wraps to 64 bits.
 */
function strtollDecimal(id: string, base: 10 | 16): string {
  const match = /^\s*([+-]?)(.*)$/s.exec(id);
  const sign = match?.[1] === '-' ? -1n : 1n;
  let rest = match?.[2] ?? '';
  if (base === 16) rest = rest.replace(/^0x/i, '');
  const digits = (base === 16 ? /^[0-9a-f]*/i : /^[0-9]*/).exec(rest)?.[0] ?? '';
  let value = digits === '' ? 0n : BigInt(base === 16 ? `0x${digits}` : digits);
  if (value > INT64_MAX) value = sign > 0n ? INT64_MAX : INT64_MAX + 1n;
  value *= sign;
  return (value < 0n ? value + (1n << 64n) : value).toString();
}

/**
 * An SMSC message id as Kannel compares it (submit_sm_resp and handle_dlr(),
 * gw/smsc/smsc_smpp.c): without msg-id-type, as it came; with it, as a decimal number, read
 * as hex when the source's bit is set or the id is not all digits, else as decimal.
 */
export function normaliseMessageId(id: string, options: { from: MessageIdSource; msgIdType?: number | undefined }): string {
  if (options.msgIdType === undefined || options.msgIdType < 0) return id;
  const bit = options.from === 'submit_sm_resp' ? 0x01 : 0x02;
  const hex = (options.msgIdType & bit) !== 0 || !/^\d*$/.test(id);
  return strtollDecimal(id, hex ? 16 : 10);
}

/**
 * The keys an id is looked up under. With msg-id-type, the one Kannel uses. Without it
 * (McDebian's default, types.ts LinkSettings.msgIdType): the id as it came first, then its
 * value read as hex and as decimal, written in decimal, so a hex id in submit_sm_resp meets
 * its decimal twin in the receipt. Two ids match when they share a key; the first is exact.
 */
export function messageIdKeys(id: string, options: { from: MessageIdSource; msgIdType?: number | undefined }): string[] {
  if (options.msgIdType !== undefined && options.msgIdType >= 0) return [normaliseMessageId(id, options)];
  const keys = [id];
  if (/^[0-9a-f]+$/i.test(id)) keys.push(strtollDecimal(id, 16));
  if (/^\d+$/.test(id)) keys.push(strtollDecimal(id, 10));
  return [...new Set(keys)];
}

/** The text of an SMSC ack report (dlr-mask 8): bb_smscconn_sent() prefixes "ACK/" to an empty reply. */
export function ackText(): string {
  return 'ACK/';
}

/**
 * The text of an SMSC nack report (dlr-mask 16), as bb_smscconn_send_failed() makes it:
 * "NACK/" and, for an SMPP error status, "0x%08lx/" and Kannel's text for it
 * (NACK/0x00000045/Submit failed); for Kannel's own reasons, the reason
 * (NACK/Retries Exceeded); for a split message, nothing (handle_split() passes no reply).
 */
export function nackText(reason?: number | string): string {
  if (reason === undefined) return 'NACK/';
  if (typeof reason === 'string') return `NACK/${reason}`;
  return `NACK/0x${(reason >>> 0).toString(16).padStart(8, '0')}/${smppErrorText(reason)}`;
}

/** Kannel's texts for SMPP statuses (smpp_error_to_string(), gw/smsc/smpp_pdu.c). 0x0C has none there. */
const SMPP_ERROR_TEXTS: ReadonlyMap<number, string> = new Map([
  [0x00, 'OK'], [0x01, 'Message Length is invalid'], [0x02, 'Command Length is invalid'],
  [0x03, 'Invalid Command ID'], [0x04, 'Incorrect BIND Status for given command'],
  [0x05, 'ESME Already in Bound State'], [0x06, 'Invalid Priority Flag'],
  [0x07, 'Invalid Registered Delivery Flag'], [0x08, 'System Error'], [0x0a, 'Invalid Source Address'],
  [0x0b, 'Invalid Destination Address'], [0x0d, 'Bind Failed'], [0x0e, 'Invalid Password'],
  [0x0f, 'Invalid System ID'], [0x11, 'Cancel SM Failed'], [0x13, 'Replace SM Failed'],
  [0x14, 'Message Queue Full'], [0x15, 'Invalid Service Type'], [0x33, 'Invalid number of destinations'],
  [0x34, 'Invalid Distribution List Name'], [0x40, 'Destination flag is invalid'],
  [0x42, 'Submit w/replace not supported/allowed'], [0x43, 'Invalid esm_class field data'],
  [0x44, 'Cannot Submit to Distribution List'], [0x45, 'Submit failed'],
  [0x48, 'Invalid Source address TON'], [0x49, 'Invalid Source address NPI'],
  [0x50, 'Invalid Destination address TON'], [0x51, 'Invalid Destination address NPI'],
  [0x53, 'Invalid system_type field'], [0x54, 'Invalid replace_if_present flag'],
  [0x55, 'Invalid number of messages'], [0x58, 'Throttling error'],
  [0x61, 'Invalid Scheduled Delivery Time'], [0x62, 'Invalid message validity period'],
  [0x63, 'Predefined Message ID is Invalid or specific predefined message was not found'],
  [0x64, 'ESME Receiver Temporary App Error Code'], [0x65, 'ESME Receiver Permanent App Error Code'],
  [0x66, 'ESME Receiver Reject Message Error Code'], [0x67, 'query_sm request failed'],
  [0xc0, 'Error in optional part of the PDU Body'], [0xc1, 'TLV not allowed'],
  [0xc2, 'Invalid Parameter Length'], [0xc3, 'Expected TLV missing'], [0xc4, 'Invalid TLV value'],
  [0xfe, 'Transaction Delivery Failure'], [0xff, 'Unknown Error'],
  [0x100, 'ESME Not authorized to use specified service_type'],
  [0x101, 'ESME Prohibited from using specified operation'],
  [0x102, 'Specified service_type is unavailable'], [0x103, 'Specified service_type is denied'],
  [0x104, 'Invalid Data Coding Scheme'], [0x105, 'Source Address Sub unit is invalid'],
  [0x106, 'Destination Address Sub unit is invalid'], [0x107, 'Broadcast Frequency Interval is invalid'],
  [0x108, 'Broadcast Alias Name is invalid'], [0x109, 'Broadcast Area Format is invalid'],
  [0x10a, 'Number of Broadcast Areas is invalid'], [0x10b, 'Broadcast Content Type is invalid'],
  [0x10c, 'Broadcast Message Class is invalid'], [0x10d, 'broadcast_sm operation failed'],
  [0x10e, 'broadcast_query_sm operation failed'], [0x10f, 'broadcast_cancel_sm operation failed'],
  [0x110, 'Number of Repeated Broadcasts is invalid'], [0x111, 'Broadcast Service Group is invalid'],
  [0x112, 'Broadcast Channel Indicator is invalid'],
]);

/** Kannel's text for an SMPP command_status; 0x400-0x4FF are the vendors'. */
export function smppErrorText(status: number): string {
  const text = SMPP_ERROR_TEXTS.get(status);
  if (text !== undefined) return text;
  return status >= 0x400 && status <= 0x4ff ? 'Vendor-specific error, please refer to your SMPP provider' : 'Unknown/Reserved';
}
