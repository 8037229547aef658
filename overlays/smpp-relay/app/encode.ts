/**
 * From sendsms's text, coding, charset, udh and mclass to the short_message of each part, as
 * Kannel's smsbox and bearerbox make them: sms_charset_processing() and smsbox_req_handle()
 * (gw/smsbox.c) decode the text, sms_split() (gw/sms.c) cuts it to max-messages parts and
 * adds the concatenation header, msg_to_pdu() (gw/smsc/smsc_smpp.c) sets data_coding and
 * esm_class. Pure: no I/O.
 */
import iconv from 'iconv-lite';
import { dataCodingScheme } from './dcs.js';
import { ESC, toGsm7 } from './gsm7.js';

/** Octets of user data in one SMS (TS 23.040 section 9.2.3.24; Kannel's MAX_SMS_OCTETS). */
const MAX_OCTETS = 140;
/** The concatenation element, 00 03 ref total seq (TS 23.040 section 9.2.3.24.1). */
const CONCATENATION_LENGTH = 5;
/** Most parts one concatenated message has: its total is one octet (smscconn_send() splits with 0xff). */
const MAX_CONCATENATED = 255;
/** esm_class UDHI: short_message starts with a user data header (SMPP 3.4 section 5.2.12). */
const UDHI = 0x40;

/** sendsms's parameters that decide the octets sent. */
export interface EncodeInput {
  /** The raw bytes of the `text` parameter. */
  text: Buffer;
  /** 0 GSM 7-bit, 1 8-bit, 2 UCS-2; absent (or -1): 8-bit with a UDH, else 7-bit (smsbox_req_handle()). */
  coding?: -1 | 0 | 1 | 2;
  /** The text's charset; absent: UTF-8 for coding 0, UTF-16BE for coding 2. Ignored for coding 1. */
  charset?: string;
  /** The client's user data header, its length octet first. */
  udh?: Buffer;
  /** Message class 0-3 (sets the 1111 coding group for 7- and 8-bit); absent or -1: none. */
  mclass?: -1 | 0 | 1 | 2 | 3;
  /** The sendsms-user's max-messages: 0 sends nothing (Kannel: "denied"), negative: no limit. */
  maxMessages: number;
  /** The sendsms-user's concatenation. */
  concatenation: boolean;
  /** The concatenation reference, 0-255. */
  reference: number;
}

/** The parts of one message, ready for submit_sm. */
export interface EncodedMessage {
  dataCoding: number;
  /** 0x40 when the parts carry a user data header, else 0. */
  esmClass: number;
  /** Each part's short_message, UDH first. Empty when max-messages is 0. */
  parts: Buffer[];
  /** Characters GSM could not carry, sent as '?' (coding 0 only). */
  unmappable: number;
}

export type EncodeResult = EncodedMessage | { error: string };

/** The user data before it is cut: GSM septets, octets, or UTF-16BE code units. */
interface Payload {
  coding: 0 | 1 | 2;
  bytes: Buffer;
  unmappable: number;
}

/** Charset names glibc's iconv knows and iconv-lite spells differently. */
const CHARSET_ALIASES: Readonly<Record<string, string>> = {
  'ucs-2be': 'utf-16be',
  'ucs-2le': 'utf-16le',
  'iso-10646-ucs-2': 'utf-16be',
};

/** Text in a charset, or undefined when the charset is unknown (Kannel: "Charset or body misformed"). */
function decodeCharset(bytes: Buffer, charset: string | undefined): string | undefined {
  const name = (charset ?? '').trim().toLowerCase();
  if (name === '' || name === 'utf-8' || name === 'utf8') return bytes.toString('utf8');
  const known = CHARSET_ALIASES[name] ?? name;
  return iconv.encodingExists(known) ? iconv.decode(bytes, known) : undefined;
}

/** The user data for a coding; the charset rules of sms_charset_processing() (gw/sms.c). */
function payloadOf(input: EncodeInput, coding: 0 | 1 | 2): Payload | undefined {
  if (coding === 1) return { coding, bytes: input.text, unmappable: 0 };
  if (coding === 2) {
    // Without a charset, or with UTF-16BE itself, Kannel takes the bytes as they came.
    const name = (input.charset ?? '').trim().toLowerCase();
    if (name === '' || name === 'utf-16be') return { coding, bytes: input.text, unmappable: 0 };
    const text = decodeCharset(input.text, input.charset);
    return text === undefined ? undefined : { coding, bytes: Buffer.from(text, 'utf16le').swap16(), unmappable: 0 };
  }
  const text = decodeCharset(input.text, input.charset);
  if (text === undefined) return undefined;
  const { septets, unmappable } = toGsm7(text);
  return { coding, bytes: septets, unmappable };
}

/**
 * Room for user data beside a UDH of udhLength octets: septets for 7-bit (Kannel's
 * (140 - udh) * 8 / 7, which leaves the fill bits of TS 23.040 section 9.2.3.24), octets
 * otherwise; for UCS-2 an even number, where Kannel would cut a character in half.
 */
function roomFor(coding: 0 | 1 | 2, udhLength: number): number {
  const octets = Math.max(0, MAX_OCTETS - udhLength);
  if (coding === 0) return Math.floor((octets * 8) / 7);
  return coding === 2 ? octets & ~1 : octets;
}

function isHighSurrogate(bytes: Buffer, at: number): boolean {
  const high = bytes[at] ?? 0;
  return at >= 0 && high >= 0xd8 && high <= 0xdb;
}

/**
 * Where a part that starts at start and has room for room units ends: never between ESC and
 * its septet (charset_gsm_truncate(), gwlib/charset.c) nor inside a UTF-16 surrogate pair.
 */
function partEnd(payload: Payload, start: number, room: number): number {
  const { bytes } = payload;
  const end = Math.min(start + room, bytes.length);
  if (end === bytes.length) return end;
  if (payload.coding === 0 && bytes[end - 1] === ESC) return end - 1;
  if (payload.coding === 2 && end - 2 >= start && isHighSurrogate(bytes, end - 2)) return end - 2;
  return end;
}

/** Most parts: max-messages, negative for none, and never past one octet's count when concatenated. */
function partLimit(maxMessages: number, concatenation: boolean): number {
  const limit = maxMessages < 0 ? Number.POSITIVE_INFINITY : maxMessages;
  return concatenation ? Math.min(limit, MAX_CONCATENATED) : limit;
}

/**
 * sms_split() (gw/sms.c): when the text does not fit one part and concatenation is on, every
 * part loses the room of the concatenation element; at the limit, the last part is filled
 * and the rest of the text is dropped. So with max-messages 1 and concatenation, a long text
 * is cut to 153 septets (not 160) and sent as one plain part.
 */
function splitPayload(payload: Payload, input: EncodeInput, udhLength: number): Buffer[] {
  const limit = partLimit(input.maxMessages, input.concatenation);
  if (limit <= 0) return [];
  const whole = roomFor(payload.coding, udhLength);
  const headed = roomFor(payload.coding, Math.max(udhLength, 1) + CONCATENATION_LENGTH);
  const room = payload.bytes.length > whole && input.concatenation ? headed : whole;
  const parts: Buffer[] = [];
  for (let start = 0; ; ) {
    const last = payload.bytes.length - start <= room || parts.length + 1 >= limit;
    const end = partEnd(payload, start, room);
    parts.push(payload.bytes.subarray(start, end));
    if (last || end === start) return parts;
    start = end;
  }
}

/** The client's UDH with the concatenation element appended, as prepend_catenation_udh() (gw/sms.c) does. */
function concatenationHeader(udh: Buffer, reference: number, total: number, seq: number): Buffer {
  const elements = udh.subarray(1);
  const element = Buffer.from([0x00, 0x03, reference & 0xff, total, seq]);
  return Buffer.concat([Buffer.from([elements.length + element.length]), elements, element]);
}

/** Kannel's checks of the client's UDH and ranges (smsbox_req_handle(), gw/smsbox.c). */
function inputError(input: EncodeInput): string | undefined {
  const { udh, coding, mclass } = input;
  if (udh !== undefined && udh.length !== (udh[0] ?? -1) + 1) return 'UDH field misformed, rejected';
  if (udh !== undefined && udh.length > MAX_OCTETS) return 'UDH field is too long, rejected';
  // -1 is Kannel's "not given" (SMS_PARAM_UNDEFINED) and passes.
  if (mclass !== undefined && !(mclass >= -1 && mclass <= 3)) return 'MClass field misformed, rejected';
  if (coding !== undefined && !(coding >= -1 && coding <= 2)) return 'Coding field misformed, rejected';
  return undefined;
}

/**
 * Encodes and splits one sendsms message. An error is one of smsbox's reply texts: a
 * malformed UDH, an out-of-range field, or a charset iconv-lite does not know.
 */
export function encodeText(input: EncodeInput): EncodeResult {
  const problem = inputError(input);
  if (problem) return { error: problem };
  const udh = input.udh ?? Buffer.alloc(0);
  const coding = input.coding === undefined || input.coding === -1 ? (udh.length > 0 ? 1 : 0) : input.coding;
  const mclass = input.mclass === -1 ? undefined : input.mclass;
  const payload = payloadOf(input, coding);
  if (!payload) return { error: 'Charset or body misformed, rejected' };
  const pieces = splitPayload(payload, input, udh.length);
  const concatenated = input.concatenation && pieces.length > 1;
  const parts = pieces.map((piece, index) => {
    const header = concatenated ? concatenationHeader(udh, input.reference, pieces.length, index + 1) : udh;
    return Buffer.concat([header, piece]);
  });
  return {
    dataCoding: dataCodingScheme({ coding, mclass }, input.text.length > 0),
    esmClass: udh.length > 0 || concatenated ? UDHI : 0,
    parts,
    unmappable: payload.unmappable,
  };
}

/** How many parts a message becomes (after max-messages): what Kannel reports as "Message splits". 0 on error. */
export function countParts(input: EncodeInput): number {
  const encoded = encodeText(input);
  return 'error' in encoded ? 0 : encoded.parts.length;
}
