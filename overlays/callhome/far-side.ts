/**
 * The managed host's side of a tunnel as `mcdebian callhome install-host` puts it there: where
 * the sshd_config lines go, and how the tunnel's authorized_keys line joins the lines the host
 * has. Lines of other devices are kept as they are; a line for this tunnel's key or its port
 * that says something else is a conflict, and only --force replaces it. The line of the key a
 * rotation replaced is kept until --force: the device uses it until it runs the new image.
 * authorized_keys syntax: sshd(8), AUTHORIZED_KEYS FILE FORMAT.
 */

/** One sshd_config.d file per tunnel user: sshd takes the first value it reads, so two files for one user would fight. */
export const sshdSnippetPath = (user: string) => `/etc/ssh/sshd_config.d/mcdebian-callhome-${user}.conf`;

/** An authorized_keys line, split. */
export interface AuthorizedKeyLine {
  /** The options field, `` when there is none. */
  options: string;
  type: string;
  base64: string;
}

const KEY_TYPE = /^(ssh-|ecdsa-sha2-|sk-)/;

/** Fields separated by blanks outside double quotes (an option's value may hold blanks, and \" inside). */
function splitOutsideQuotes(text: string, separator: RegExp): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && quoted && index + 1 < text.length) {
      current += char + text[++index]!;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (!quoted && separator.test(char)) {
      if (current !== '') fields.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (current !== '') fields.push(current);
  return fields;
}

/** A key line's options, type and key; undefined for blank lines, comments and lines that hold no key. */
export function parseAuthorizedKeysLine(line: string): AuthorizedKeyLine | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = splitOutsideQuotes(trimmed, /[ \t]/);
  const at = KEY_TYPE.test(fields[0] ?? '') ? 0 : KEY_TYPE.test(fields[1] ?? '') ? 1 : -1;
  if (at < 0 || fields[at + 1] === undefined) return undefined;
  return { options: at === 0 ? '' : fields[0]!, type: fields[at]!, base64: fields[at + 1]! };
}

/** The ports a line's permitlisten options allow ("localhost:5000", "5000", "*:5000"). */
export function listenPorts(options: string): number[] {
  return splitOutsideQuotes(options, /,/)
    .filter((option) => /^permitlisten=/i.test(option))
    .map((option) => Number(option.slice(option.indexOf('=') + 1).replace(/^"|"$/g, '').split(':').at(-1)));
}

export interface AuthorizedKeysPlan {
  /** The file's new content; undefined when nothing changes, or when conflicts stop the change. */
  content?: string;
  /** The tunnel's line is not there yet. */
  adds: boolean;
  /** Lines of this tunnel with the key a rotation replaced: kept until --force. */
  kept: string[];
  /** Lines of this tunnel that say something else: another key on its port, or its key with other options. */
  conflicts: string[];
  /** The lines the new content leaves out (with --force: the conflicts and the kept lines). */
  removed: string[];
}

export interface AuthorizedKeysWanted {
  /** The tunnel's line as the build writes it. */
  line: string;
  remotePort: number;
  /** The base64 of the key a rotation replaced (`<key>.old`), if any. */
  previousKey?: string;
  force: boolean;
}

type LineKind = 'ours' | 'previous' | 'conflict' | 'other';

/** What a line of the host's file is to this tunnel. */
function classify(line: string, ours: AuthorizedKeyLine, wanted: AuthorizedKeysWanted): LineKind {
  const key = parseAuthorizedKeysLine(line);
  if (key === undefined) return 'other';
  if (key.options === ours.options && key.base64 === ours.base64) return 'ours'; // the comment may differ
  if (key.base64 !== ours.base64 && !listenPorts(key.options).includes(wanted.remotePort)) return 'other';
  return key.base64 === wanted.previousKey ? 'previous' : 'conflict';
}

/** How `current` (the host's file, '' when absent) must change to hold the tunnel's line. */
export function planAuthorizedKeys(current: string, wanted: AuthorizedKeysWanted): AuthorizedKeysPlan {
  const ours = parseAuthorizedKeysLine(wanted.line);
  if (!ours) throw new Error(`not an authorized_keys line: ${wanted.line}`);
  const lines = current === '' ? [] : current.replace(/\n$/, '').split('\n');
  const kinds = lines.map((line) => classify(line, ours, wanted));
  const plan: AuthorizedKeysPlan = {
    adds: !kinds.includes('ours'),
    kept: lines.filter((_, index) => kinds[index] === 'previous'),
    conflicts: lines.filter((_, index) => kinds[index] === 'conflict'),
    removed: [],
  };
  if (wanted.force) plan.removed = [...plan.conflicts, ...plan.kept];
  if ((plan.adds || plan.removed.length > 0) && (wanted.force || plan.conflicts.length === 0)) {
    const stays = lines.filter((_, index) => kinds[index] === 'ours' || kinds[index] === 'other' || !wanted.force);
    plan.content = [...stays, ...(plan.adds ? [wanted.line.replace(/\n$/, '')] : [])].map((line) => `${line}\n`).join('');
  }
  return plan;
}
