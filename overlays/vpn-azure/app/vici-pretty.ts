/**
 * Reads what `swanctl --list-sas --pretty` and `--list-conns --pretty` print: vici messages, one
 * per event, dumped by strongSwan's vici_message.c `dump`. Why by hand: strongSwan keeps vici
 * clients for Python, Ruby and Perl (src/libcharon/plugins/vici/) and Go has govici, but there is
 * no kept JavaScript one on npm; and the device's own swanctl already speaks the protocol, so
 * this only reads its text.
 * Why --pretty and not --raw: --raw prints every element on one line with values unquoted
 * ("class=pre-shared key groups=[]"), so a value with a space cannot be told from the next key;
 * --pretty prints one element a line: `name {`, `}`, `key = value`, `key = [`, an item, `]`. A value
 * that is not printable is printed as hex, so no value spans lines.
 */

/** A vici section: keys to values, lists or sections. */
export interface ViciSection {
  [key: string]: string | string[] | ViciSection;
}

/** One message: its label (`list-sa event`) and its body. */
export interface ViciMessage {
  label: string;
  body: ViciSection;
}

/** A line that fits none of the dump's forms: swanctl printed something else. */
export class ViciFormatError extends Error {}

type Frame = { section: ViciSection } | { list: string[] };

function addLine(stack: Frame[], line: string, number: number): void {
  const top = stack.at(-1)!;
  const fail = () => new ViciFormatError(`line ${number}: ${JSON.stringify(line)} is not a vici element`);
  if ('list' in top) {
    if (line === ']') stack.pop();
    else top.list.push(line);
    return;
  }
  if (line === '}') {
    stack.pop();
    return;
  }
  const open = /^(.+) \{$/.exec(line);
  if (open) {
    const section: ViciSection = {};
    top.section[open[1]!] = section;
    stack.push({ section });
    return;
  }
  const assign = /^([^ ]+) = (.*)$/.exec(line);
  if (!assign) throw fail();
  if (assign[2] === '[') {
    const list: string[] = [];
    top.section[assign[1]!] = list;
    stack.push({ list });
    return;
  }
  top.section[assign[1]!] = assign[2]!;
}

/** The messages of a --pretty dump, in order; throws a ViciFormatError on anything else. */
export function parseViciPretty(text: string): ViciMessage[] {
  const messages: ViciMessage[] = [];
  let stack: Frame[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    if (stack.length === 0) {
      const label = /^(.+) \{$/.exec(line)?.[1];
      if (label === undefined) throw new ViciFormatError(`line ${index + 1}: ${JSON.stringify(line)} starts no vici message`);
      const body: ViciSection = {};
      messages.push({ label, body });
      stack = [{ section: body }];
      return;
    }
    addLine(stack, line, index + 1);
  });
  if (stack.length > 0) throw new ViciFormatError('the output ends inside a vici message');
  return messages;
}

/** A key's value when it is a string. */
export const textOf = (section: ViciSection, key: string): string | undefined => {
  const value = section[key];
  return typeof value === 'string' ? value : undefined;
};

/** A key's value when it is a section. */
export const sectionOf = (section: ViciSection, key: string): ViciSection | undefined => {
  const value = section[key];
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
};

/** A key's value when it is a number. */
export const numberOf = (section: ViciSection, key: string): number | undefined => {
  const value = textOf(section, key);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
};
