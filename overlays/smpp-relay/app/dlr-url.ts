/**
 * Kannel's %-escapes in a dlr-url (urltrans_fill_escape_codes(), gw/urltrans.c), with its
 * URL-encoding (octstr_url_encode(), gwlib/octstr.c). Pure: no I/O.
 *
 * In Kannel a DLR is a message of its own (dlr_find(), create_dlr_from_msg(), gw/dlr.c): its
 * text is the receipt as the SMSC sent it, or "ACK/...", "NACK/..." for dlr-mask 8 and 16, and
 * its coding, class, mwi, udh and charset are unset, so %c %m %M give -1, %u nothing, %C
 * UTF-8 and %O 00 unless the caller fills them in.
 */

/** What a DLR URL may show. Absent fields expand to what Kannel shows for an unset one. */
export interface DlrFields {
  /** %d: the DLR type (1, 2, 4, 8, 16, 0x22). */
  type: number;
  /** %A %b %a %k %s %S %r %e: the DLR's text (the receipt, or ackText()/nackText()). */
  text?: Buffer | string;
  /** %I: our message id (Kannel shows a fresh uuid of its DLR message there). */
  messageId?: string;
  /** %F: the SMSC's message id. */
  smscMessageId?: string;
  /** %P %Q: the original sender; %p %q: the original receiver (the phone). */
  from?: string;
  to?: string;
  /** %i: the smsc-id. */
  smscId?: string;
  /** %n: the sendsms-user's name (its username when it has none). */
  service?: string;
  /** %o: the account; Kannel puts the SMSC's system-id there for receipts from SMPP. */
  account?: string;
  /** %B: billing information. */
  billingInfo?: string;
  /** %c: coding, %m: message class, %M: message waiting indicator; -1 when absent. */
  coding?: number;
  mclass?: number;
  mwi?: number;
  /** %C: the charset; absent: UTF-8, 8-BIT or UTF-16BE by coding. */
  charset?: string;
  /** %O: the data_coding octet, in decimal ("%02d"); absent: 0. */
  dataCoding?: number;
  /** %u: the user data header (URL-encoded octets, not hex). */
  udh?: Buffer;
  /** %f: the SMSC's number. */
  smscNumber?: string;
  /** %R: the DLR URL itself. */
  dlrUrl?: string;
  /** %D and %#group#key#: meta-data, by group then key. */
  metaData?: Readonly<Record<string, Readonly<Record<string, string | Buffer>>>>;
  /** %t (UTC, "YYYY-MM-DD+hh:mm:ss") and %T (Unix seconds): when the DLR was made. */
  time?: Date;
  /** %v, %V: minutes of validity and deferral left. */
  validityMinutes?: number;
  deferredMinutes?: number;
}

/** Characters octstr_url_encode() leaves alone; a space becomes '+', anything else %XX. */
const SAFE = /[0-9A-Za-z\-_.!~*'()]/;

function bytesOf(value: Buffer | string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
}

/** Kannel's URL-encoding of octets (RFC 2396's unreserved characters stay). */
export function kannelUrlEncode(value: Buffer | string | undefined): string {
  let encoded = '';
  for (const byte of bytesOf(value)) {
    const char = String.fromCharCode(byte);
    if (byte === 0x20) encoded += '+';
    else if (byte < 0x80 && SAFE.test(char)) encoded += char;
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The words of the text, split at C's isspace() as octstr_split_words() does. */
function wordsOf(text: Buffer | string | undefined): Buffer[] {
  const bytes = bytesOf(text);
  const words: Buffer[] = [];
  let start = -1;
  for (let i = 0; i <= bytes.length; i += 1) {
    const byte = bytes[i];
    const space = byte === undefined || byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
    if (!space && start < 0) start = i;
    if (space && start >= 0) {
      words.push(bytes.subarray(start, i));
      start = -1;
    }
  }
  return words;
}

/** Kannel's meta-data as one string: ?group?key=value&... with every name and value URL-encoded (meta_data_pack()). */
function packMetaData(metaData: DlrFields['metaData']): string {
  let packed = '';
  for (const [group, values] of Object.entries(metaData ?? {})) {
    packed += `?${kannelUrlEncode(group)}?`;
    for (const [key, value] of Object.entries(values)) packed += `${kannelUrlEncode(key)}=${kannelUrlEncode(value)}&`;
  }
  return packed;
}

/** %q %Q: a number starting 00 shows as %2B and the rest. */
function plusNumber(number: string | undefined): string {
  return number?.startsWith('00') ? `%2B${kannelUrlEncode(number.slice(2))}` : kannelUrlEncode(number);
}

/** %t: gmtime in "%04d-%02d-%02d+%02d:%02d:%02d". */
function formatTime(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${String(time.getUTCFullYear()).padStart(4, '0')}-${two(time.getUTCMonth() + 1)}-${two(time.getUTCDate())}`;
  return `${date}+${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())}`;
}

/** %C: the charset, or the one Kannel names for the coding. */
function charsetName(fields: DlrFields): string {
  if (fields.charset) return fields.charset;
  const byCoding: Record<number, string> = { [-1]: 'UTF-8', 0: 'UTF-8', 1: '8-BIT', 2: 'UTF-16BE' };
  return byCoding[fields.coding ?? -1] ?? '';
}

/** "%02d" as C prints it: a sign does not count as padding. */
function twoDigits(n: number): string {
  return n < 0 ? String(n) : String(n).padStart(2, '0');
}

/** Expansion state: the words and the next one %s and %S take (urltrans' nextarg starts at 1). */
interface Expansion {
  fields: DlrFields;
  words: Buffer[];
  next: number;
}

type Escape = (state: Expansion) => string;

const join = (words: Buffer[]) => words.map((word) => kannelUrlEncode(word)).join('+');

/** One function per escape letter, as urltrans_fill_escape_codes() expands it. */
const ESCAPES: Readonly<Record<string, Escape>> = {
  a: ({ words }) => join(words),
  A: ({ fields }) => kannelUrlEncode(fields.text),
  b: ({ fields }) => kannelUrlEncode(fields.text),
  B: ({ fields }) => kannelUrlEncode(fields.billingInfo),
  c: ({ fields }) => String(fields.coding ?? -1),
  C: ({ fields }) => charsetName(fields),
  d: ({ fields }) => kannelUrlEncode(String(fields.type)),
  D: ({ fields }) => kannelUrlEncode(packMetaData(fields.metaData)),
  e: ({ fields }) => bytesOf(fields.text).toString('hex').toUpperCase(),
  f: ({ fields }) => kannelUrlEncode(fields.smscNumber),
  F: ({ fields }) => kannelUrlEncode(fields.smscMessageId),
  i: ({ fields }) => kannelUrlEncode(fields.smscId),
  I: ({ fields }) => kannelUrlEncode(fields.messageId),
  k: ({ words }) => (words[0] ? kannelUrlEncode(words[0]) : ''),
  m: ({ fields }) => kannelUrlEncode(String(fields.mclass ?? -1)),
  M: ({ fields }) => kannelUrlEncode(String(fields.mwi ?? -1)),
  n: ({ fields }) => kannelUrlEncode(fields.service),
  o: ({ fields }) => kannelUrlEncode(fields.account),
  O: ({ fields }) => twoDigits(fields.dataCoding ?? 0),
  p: ({ fields }) => kannelUrlEncode(fields.to),
  P: ({ fields }) => kannelUrlEncode(fields.from),
  q: ({ fields }) => plusNumber(fields.to),
  Q: ({ fields }) => plusNumber(fields.from),
  r: (state) => join(state.words.slice(state.next)),
  R: ({ fields }) => kannelUrlEncode(fields.dlrUrl),
  s: (state) => kannelUrlEncode(state.words[state.next++] ?? ''),
  S: (state) => (state.words[state.next++]?.toString('utf8') ?? '').replaceAll('*', '~'),
  t: ({ fields }) => (fields.time ? formatTime(fields.time) : ''),
  T: ({ fields }) => (fields.time ? String(Math.floor(fields.time.getTime() / 1000)) : ''),
  u: ({ fields }) => kannelUrlEncode(fields.udh),
  v: ({ fields }) => (fields.validityMinutes === undefined ? '' : String(fields.validityMinutes)),
  V: ({ fields }) => (fields.deferredMinutes === undefined ? '' : String(fields.deferredMinutes)),
};

/**
 * %#group#key#: one meta-data value. Returns the expansion and where the template goes on.
 * Without a second '#' Kannel appends nothing and goes on after "%#"; without the third it
 * loops for ever: here it appends nothing and goes on after the group's '#'.
 */
function expandMetaData(template: string, at: number, fields: DlrFields): [string, number] {
  const groupEnd = template.indexOf('#', at + 2);
  if (groupEnd < 0) return ['', at + 2];
  const keyEnd = template.indexOf('#', groupEnd + 1);
  if (keyEnd < 0) return ['', groupEnd + 1];
  const value = fields.metaData?.[template.slice(at + 2, groupEnd)]?.[template.slice(groupEnd + 1, keyEnd)];
  return [kannelUrlEncode(value), keyEnd + 1];
}

/**
 * A DLR URL with its escapes filled in as Kannel fills them. "%%" is '%'; an unknown escape
 * stays as it is ("%z"), and so does a '%' that ends the template.
 */
export function expandDlrUrl(template: string, fields: DlrFields): string {
  const state: Expansion = { fields, words: wordsOf(fields.text), next: 1 };
  let result = '';
  let at = 0;
  while (at < template.length) {
    const percent = template.indexOf('%', at);
    if (percent < 0 || percent === template.length - 1) return result + template.slice(at);
    result += template.slice(at, percent);
    const letter = template.charAt(percent + 1);
    if (letter === '#') {
      const [value, next] = expandMetaData(template, percent, fields);
      result += value;
      at = next;
      continue;
    }
    const escape = Object.hasOwn(ESCAPES, letter) ? ESCAPES[letter] : undefined;
    result += escape ? escape(state) : letter === '%' ? '%' : `%${letter}`;
    at = percent + 2;
  }
  return result;
}
