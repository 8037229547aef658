/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 section 6.2.1),
 * unpacked: one septet per octet, as SMPP carries short_message with data_coding 0.
 *
 * Text becomes septets as Kannel's charset_utf8_to_gsm() (gwlib/charset.c) makes them: every
 * character of the two tables maps to itself, 'ç' maps to 'Ç' (Kannel's only look-alike,
 * gwlib/latin1_to_gsm.h 0xE7), and everything else becomes '?'. The smpp package has a GSM
 * coder, but it turns unmappable characters into spaces and an emoji into two of them, so it
 * is not used here.
 */

/** The escape to the extension table (TS 23.038 section 6.2.1.1). */
export const ESC = 0x1b;

/** Kannel's NRP, "non-representable": what a character GSM cannot carry becomes (charset.c). */
const NRP = 0x3f;

/** The default alphabet, indexed by septet; 0x1B (ESC) stands for no character. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table: the septet after ESC, and its character (form feed is the page break). */
const EXTENSION: readonly (readonly [septet: number, char: string])[] = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
];

/** Code point -> the septets that carry it. */
const ENCODE = new Map<number, readonly number[]>();
/** Septet after ESC -> character. */
const DECODE_EXTENSION = new Map<number, string>();

for (const [septet, char] of [...BASIC].entries()) {
  if (septet !== ESC) ENCODE.set(char.codePointAt(0) ?? 0, [septet]);
}
// Kannel maps small c cedilla to the capital one that 23.038 puts at 0x09 (latin1_to_gsm.h).
ENCODE.set(0xe7, [0x09]);
for (const [septet, char] of EXTENSION) {
  ENCODE.set(char.codePointAt(0) ?? 0, [ESC, septet]);
  DECODE_EXTENSION.set(septet, char);
}

/** Text as GSM septets. */
export interface Gsm7 {
  /** One septet per octet, extension characters as ESC + septet. */
  septets: Buffer;
  /** Characters GSM cannot carry, each sent as one '?'. */
  unmappable: number;
}

/**
 * The septets of a text, with what GSM cannot carry replaced by '?' as Kannel does.
 * One '?' per code point: Kannel reads a 4-byte UTF-8 sequence (an emoji) as four Latin-1
 * bytes and sends four characters, mostly '?' (charset_utf8_to_gsm() knows only 1- to 3-byte
 * sequences); one '?' is what was meant.
 */
export function toGsm7(text: string): Gsm7 {
  const septets: number[] = [];
  let unmappable = 0;
  for (const char of text) {
    const mapped = ENCODE.get(char.codePointAt(0) ?? 0);
    if (mapped) septets.push(...mapped);
    else {
      septets.push(NRP);
      unmappable += 1;
    }
  }
  return { septets: Buffer.from(septets), unmappable };
}

/** How many septets a text takes: extension characters count 2, unmappable ones 1 (their '?'). */
export function gsm7Length(text: string): number {
  let length = 0;
  for (const char of text) length += ENCODE.get(char.codePointAt(0) ?? 0)?.length ?? 1;
  return length;
}

/** Whether every character of a text is in the GSM tables (nothing would become '?'). */
export function isGsm7(text: string): boolean {
  for (const char of text) if (!ENCODE.has(char.codePointAt(0) ?? 0)) return false;
  return true;
}

/**
 * Septets back to text, as Kannel's charset_gsm_to_utf8() reads them: an octet over 0x7F is
 * dropped; ESC followed by a septet the extension table lacks, or ending the buffer, reads
 * '?' and the septet after it is read on its own.
 */
export function fromGsm7(septets: Buffer): string {
  let text = '';
  for (let i = 0; i < septets.length; i += 1) {
    const septet = septets[i] ?? 0;
    if (septet > 0x7f) continue;
    if (septet !== ESC) {
      text += BASIC[septet];
      continue;
    }
    const extension = DECODE_EXTENSION.get(septets[i + 1] ?? -1);
    if (extension === undefined) text += '?';
    else {
      text += extension;
      i += 1;
    }
  }
  return text;
}
