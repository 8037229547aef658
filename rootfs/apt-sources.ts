/**
 * Finds the Debian mirror the host already uses, by reading its apt sources: sources.list and
 * sources.list.d/*.list in the one-line format, sources.list.d/*.sources in deb822 (see
 * sources.list(5)). A build then fetches from the mirror the host is known to reach instead of a
 * host name written into our code.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One entry of an apt sources file; a deb822 stanza may name several URIs and suites. */
export interface AptSource {
  /** `deb` and/or `deb-src`. */
  types: string[];
  /** Archive roots, as written (`http://mirror.example/debian`). */
  uris: string[];
  /** Suites or codenames (`trixie`, `trixie-security`). */
  suites: string[];
  /** Archive areas (`main`, `contrib`). */
  components: string[];
  /** False for a deb822 stanza with `Enabled: no`. */
  enabled: boolean;
}

/** The two formats apt reads: `.sources` files are deb822, `.list` files are one-line. */
export type AptSourcesFormat = 'deb822' | 'one-line';

/** The mirrors found in the host's apt configuration. */
export interface HostMirrors {
  /** Root of the main Debian archive, without trailing slash; undefined when none is configured. */
  mirror?: string;
  /** Root of the security archive (the URI of a `*-security` suite). */
  securityMirror?: string;
  /** The files that were read, in apt's order. */
  sources: string[];
}

/** Parses the text of one apt sources file. Pure. */
export function parseAptSources(text: string, format: AptSourcesFormat): AptSource[] {
  const unix = text.replaceAll('\r\n', '\n');
  return format === 'deb822' ? parseDeb822(unix) : parseOneLine(unix);
}

function parseDeb822(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const paragraph of text.split(/\n[ \t]*(?:\n|$)/)) {
    const fields = readDeb822Fields(paragraph);
    if (fields.size === 0) continue;
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter((word) => word !== '');
    sources.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      enabled: (fields.get('enabled') ?? 'yes').trim().toLowerCase() !== 'no',
    });
  }
  return sources;
}

/** Field name (lower-cased, since apt compares them case-insensitively) to value, continuation lines joined. */
function readDeb822Fields(paragraph: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of paragraph.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    if (/^\s/.test(line) && last !== undefined) {
      fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}

function parseOneLine(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    // Options in brackets may hold spaces (`[ arch=amd64 ]`), so they go before splitting on words.
    const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if ((type !== 'deb' && type !== 'deb-src') || uri === undefined || suite === undefined) continue;
    sources.push({ types: [type], uris: [uri], suites: [suite], components, enabled: true });
  }
  return sources;
}

const DEBIAN_SUITE = /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable)(-updates|-backports|-proposed-updates)?$/;

/** Picks the main and security mirrors from parsed entries, in the order apt reads them. Pure. */
export function pickMirrors(entries: readonly AptSource[]): Omit<HostMirrors, 'sources'> {
  const binary = entries.filter((entry) => entry.enabled && entry.types.includes('deb'));
  const firstUri = (accept: (entry: AptSource, uri: string) => boolean): string | undefined => {
    for (const entry of binary) {
      const uri = entry.uris.map((u) => u.replace(/\/+$/, '')).find((u) => /^https?:\/\//.test(u) && URL.canParse(u) && accept(entry, u));
      if (uri !== undefined) return uri;
    }
    return undefined;
  };
  const hasMainSuite = (entry: AptSource): boolean => entry.suites.some((suite) => !suite.endsWith('-security'));
  const mirror =
    firstUri((entry, uri) => hasMainSuite(entry) && new URL(uri).pathname.endsWith('/debian')) ??
    firstUri((entry) => entry.suites.some((suite) => DEBIAN_SUITE.test(suite)));
  const securityMirror = firstUri((entry) => entry.suites.some((suite) => suite.endsWith('-security')));
  return { mirror, securityMirror };
}

/** Reads the host's apt sources under `root` (default `/`) and picks the mirrors from them. */
export async function readHostMirrors(options: { root?: string } = {}): Promise<HostMirrors> {
  const aptDir = join(options.root ?? '/', 'etc/apt');
  const files = [join(aptDir, 'sources.list'), ...(await listSourceParts(join(aptDir, 'sources.list.d')))];
  const entries: AptSource[] = [];
  const sources: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) continue;
    sources.push(file);
    entries.push(...parseAptSources(text, file.endsWith('.sources') ? 'deb822' : 'one-line'));
  }
  return { ...pickMirrors(entries), sources };
}

/** sources.list.d entries apt reads, sorted as apt sorts them; other suffixes (`.disabled`) are ignored. */
async function listSourceParts(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  return names
    .filter((name) => name.endsWith('.list') || name.endsWith('.sources'))
    .sort()
    .map((name) => join(dir, name));
}
