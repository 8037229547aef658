/**
 * The one gate between user input and the zone: a domain name is trimmed, lower-cased, stripped
 * of one trailing dot, converted to punycode and then checked against a strict pattern, so that
 * nothing but letters, digits, hyphens, underscores and dots ever reaches nsupdate's stdin
 * (nsupdate reads one command per line and gives `;`, quotes, `\`, `(`, `)` and blanks meaning).
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** 255 octets on the wire (RFC 1035 §2.3.4) are 253 characters of text without the root dot. */
const MAX_NAME = 253;

/**
 * A label: letters, digits, hyphens, not starting or ending with a hyphen (RFC 1123 §2.1). The
 * underscore is allowed too because published block lists hold tracker host names with one
 * (browsers resolve them) and it has no meaning to nsupdate or in zone text; it cannot inject.
 */
const LABEL = /^(?=.{1,63}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/**
 * The last label: it starts with a letter, since no top-level domain is all-numeric (RFC 3696
 * §2), which also keeps IP addresses out. A last label `rpz-*` would turn the record into one of
 * RPZ's other triggers (`rpz-ip`, `rpz-nsdname`, `rpz-client-ip`, `rpz-nsip`; BIND ARM, Response
 * Policy Zones), so it is refused.
 */
const LAST_LABEL = /^(?!rpz-)[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

/** ASCII that may appear in input; anything else ASCII is named in the error. */
const ALLOWED_ASCII = /^[a-z0-9._-]$/i;

/** The result of checking one name. */
export type DomainCheck = { ok: true; domain: string } | { ok: false; reason: string };

/** An entry of a batch that was refused. */
export interface InvalidEntry {
  /** The entry as given (cut to 100 characters), for the message. */
  entry: string;
  /** Its position in the batch, from 0. */
  index: number;
  reason: string;
}

/** The longest domain the zone can hold: `*.` + domain + `.` + zone must stay within 253 characters. */
export const maxDomainLength = (zone: string) => MAX_NAME - zone.length - 3;

/** What a forbidden character is called in a message. */
function describeCharacter(char: string): string {
  const names: Record<string, string> = { ' ': 'a space', '\t': 'a tab', '\n': 'a newline', '\r': 'a carriage return', '"': 'a quote', '\'': 'a quote', '\\': 'a backslash' };
  return names[char] ?? (char < ' ' || char === '\x7f' ? `the control character U+${char.charCodeAt(0).toString(16).padStart(4, '0')}` : `"${char}"`);
}

/** Why the text as given cannot be a name, before punycode conversion; undefined when it may be one. */
function findForbiddenCharacter(text: string): string | undefined {
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80 && !ALLOWED_ASCII.test(char)) {
      const hint = char === '*' ? ' (subdomains are blocked with their domain: leave out "*.")' : '';
      return `contains ${describeCharacter(char)}${hint}`;
    }
    if (/[\p{Cc}\p{Z}]/u.test(char)) return `contains the invisible character U+${char.codePointAt(0)!.toString(16).padStart(4, '0')}`;
  }
  return undefined;
}

/** Why the ASCII name's labels are not acceptable; undefined when they are. */
function findBadLabel(ascii: string, zone: string): string | undefined {
  const labels = ascii.split('.');
  if (labels.length < 2) return 'has a single label; give a full domain name such as example.com';
  if (ascii.length > maxDomainLength(zone)) return `is ${ascii.length} characters long; the zone ${zone} holds names of at most ${maxDomainLength(zone)}`;
  for (const label of labels) {
    if (label === '') return 'has an empty label (two dots in a row, or a leading dot)';
    if (label.length > 63) return `has a label of ${label.length} characters; at most 63 are allowed`;
    if (/[^a-z0-9_-]/.test(label)) return `has the label ${JSON.stringify(label)}, which holds more than letters, digits, hyphens and underscores`;
    if (!LABEL.test(label)) return `has the label ${JSON.stringify(label)}, which starts or ends with a hyphen`;
  }
  if (!LAST_LABEL.test(labels.at(-1)!)) return `has the top-level label ${JSON.stringify(labels.at(-1))}, which is not a top-level domain`;
  if (ascii === zone || ascii.endsWith(`.${zone}`)) return `is inside the block list's own zone ${zone}`;
  return undefined;
}

/** Checks and normalises one name for `zone` (itself already normalised, without the final dot). */
export function checkDomain(input: string, zone: string): DomainCheck {
  let text = input.trim();
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text === '') return { ok: false, reason: 'is empty' };
  const forbidden = findForbiddenCharacter(text);
  if (forbidden) return { ok: false, reason: forbidden };
  if (isIP(text) !== 0) return { ok: false, reason: 'is an IP address, not a domain name' };
  const ascii = domainToASCII(text.toLowerCase());
  if (ascii === '') return { ok: false, reason: 'is not a valid internationalised domain name' };
  const bad = findBadLabel(ascii, zone);
  return bad ? { ok: false, reason: bad } : { ok: true, domain: ascii };
}

/** A value that is not a string, for a message: a number, boolean or null as JSON; an array or object by its brackets, never walked. */
function showNonString(entry: unknown): string {
  if (Array.isArray(entry)) return '[...]';
  if (typeof entry === 'object' && entry !== null) return '{...}';
  return String(JSON.stringify(entry) ?? typeof entry).slice(0, 100);
}

/** Checks a batch: its names (normalised, each once, in order) and the refused entries. */
export function checkDomains(entries: readonly unknown[], zone: string): { domains: string[]; invalid: InvalidEntry[] } {
  const domains = new Set<string>();
  const invalid: InvalidEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    if (typeof entry !== 'string') {
      invalid.push({ entry: showNonString(entry), index, reason: 'is not a string' });
      continue;
    }
    const check = checkDomain(entry, zone);
    if (check.ok) domains.add(check.domain);
    else invalid.push({ entry: entry.slice(0, 100), index, reason: check.reason });
  }
  return { domains: [...domains], invalid };
}

/** One line for a message: the entry quoted as JSON (so control characters show), then why. */
export const describeInvalid = (invalid: InvalidEntry) => `${JSON.stringify(invalid.entry)} ${invalid.reason}`;
