/**
 * Request parameters as bytes. Kannel treats `text` and `udh` as octets (coding=1 carries any
 * byte, written %XX in the URL), while URLSearchParams decodes every value as UTF-8 and
 * replaces what is not with U+FFFD, so the query is parsed here by hand. As in Kannel's
 * http_cgi_variable(), the first occurrence of a name wins.
 */

/** Decodes one application/x-www-form-urlencoded component to bytes ('+' is a space). */
export function percentDecode(component: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < component.length; i += 1) {
    const c = component[i]!;
    const hex = component.slice(i + 1, i + 3);
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** Parses a query string (without the '?') into name -> bytes. */
export function parseArgs(query: string): Map<string, Buffer> {
  const args = new Map<string, Buffer>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = percentDecode(at < 0 ? pair : pair.slice(0, at)).toString('utf8');
    if (!args.has(name)) args.set(name, percentDecode(at < 0 ? '' : pair.slice(at + 1)));
  }
  return args;
}

/** A parameter as text (latin1 keeps every byte as one character, as C strings do). */
export function argText(args: ReadonlyMap<string, Buffer>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = args.get(name);
    if (value !== undefined) return value.toString('latin1');
  }
  return undefined;
}

/** The range of C's int, which sscanf("%d") fills. */
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * A numeric parameter the way Kannel reads it, sscanf("%d"): leading digits count, the rest
 * is ignored, and a value with no digits leaves the parameter unset. The value is a C int: one
 * out of its range is clamped to it (glibc's strtol clamps to long; a 64-bit Kannel then keeps
 * the low 32 bits). Unclamped, 400 digits read as Infinity, and validity=Infinity made a
 * validity_period of "NaN" that no submit_sm could carry.
 */
export function argInt(args: ReadonlyMap<string, Buffer>, ...names: string[]): number | undefined {
  const text = argText(args, ...names);
  const match = text === undefined ? null : /^\s*([+-]?\d+)/.exec(text);
  return match ? Math.min(INT_MAX, Math.max(INT_MIN, Number.parseInt(match[1]!, 10))) : undefined;
}
