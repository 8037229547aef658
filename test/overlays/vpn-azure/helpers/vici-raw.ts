/**
 * Reads `swanctl --raw` output: one vici message a line, `name {key=value section {...} list=[a b]}`.
 * swanctl prints this form itself (swanctl/command.c's raw printer); no npm package reads it, and
 * a vici client library would mean speaking the binary protocol for a test's few queries.
 * Values are split at spaces, so a value with a space in it (a distinguished-name ID) is not read
 * whole: the tests use addresses as IDs.
 */

/** A vici section: values, lists and subsections by key. */
export interface ViciSection {
  [key: string]: string | string[] | ViciSection;
}

const TOKEN = /\{|\}|\[|\]|[^\s{}[\]]+/g;

function readSection(tokens: string[], at: { i: number }): ViciSection {
  const section: ViciSection = {};
  while (at.i < tokens.length) {
    const token = tokens[at.i++]!;
    if (token === '}') return section;
    const equals = token.indexOf('=');
    if (equals < 0) {
      if (tokens[at.i++] !== '{') throw new Error(`vici raw output: expected { after ${token}`);
      section[token] = readSection(tokens, at);
    } else if (equals === token.length - 1 && tokens[at.i] === '[') {
      at.i++;
      const items: string[] = [];
      while (tokens[at.i] !== ']' && at.i < tokens.length) items.push(tokens[at.i++]!);
      at.i++;
      section[token.slice(0, -1)] = items;
    } else {
      section[token.slice(0, equals)] = token.slice(equals + 1);
    }
  }
  throw new Error('vici raw output: a section is not closed');
}

/** The messages in swanctl's raw output, each as its name (e.g. "list-sa event") and body. */
export function parseRaw(text: string): { name: string; body: ViciSection }[] {
  return text.split('\n').filter((line) => line.includes('{')).map((line) => {
    const open = line.indexOf('{');
    const tokens = line.slice(open + 1).match(TOKEN) ?? [];
    return { name: line.slice(0, open).trim(), body: readSection(tokens, { i: 0 }) };
  });
}
