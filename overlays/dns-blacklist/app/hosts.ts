/**
 * Hosts-format block lists (`0.0.0.0 ads.example`, `127.0.0.1 a.example b.example`, bare
 * `domain` lines, `#` comments) read into checked domain names. Pure, so the mcdebian CLI can
 * check a list at build time with the same rules the service applies.
 */
import { isIP } from 'node:net';
import { checkDomain } from './domain.js';

/**
 * Names every hosts file carries for the machine itself (Debian's /etc/hosts, and the header of
 * the usual published lists): not domains anyone means to block.
 */
const MACHINE_NAMES = new Set([
  'localhost', 'localhost.localdomain', 'local', 'broadcasthost', '0.0.0.0',
  'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts',
]);

/** An entry of the file that is not a domain name. */
export interface InvalidLine {
  /** 1-based line number. */
  line: number;
  entry: string;
  reason: string;
}

/** What a hosts file holds. */
export interface HostsList {
  /** Checked, normalised names, each once, in the order of the file. */
  domains: string[];
  invalid: InvalidLine[];
  /** Machine names and addresses passed over. */
  skipped: number;
}

/** The names on one line: the words after an address, or a bare name; undefined for anything else. */
function namesOf(line: string): string[] | undefined {
  const words = line.replace(/#.*/, '').trim().split(/\s+/).filter((word) => word !== '');
  if (words.length <= 1) return words;
  return isIP(words[0]!) !== 0 ? words.slice(1) : undefined;
}

/** The block list in a hosts file, checked for `zone`. */
export function parseHostsFile(text: string, zone: string): HostsList {
  const domains = new Set<string>();
  const invalid: InvalidLine[] = [];
  let skipped = 0;
  for (const [index, line] of text.replace(/^\uFEFF/, '').split(/\r?\n/).entries()) {
    const names = namesOf(line);
    if (!names) {
      invalid.push({ line: index + 1, entry: line.trim().slice(0, 100), reason: 'is neither "ADDRESS NAME..." nor a single name' });
      continue;
    }
    for (const name of names) {
      if (MACHINE_NAMES.has(name.toLowerCase()) || isIP(name) !== 0) {
        skipped++;
        continue;
      }
      const check = checkDomain(name, zone);
      if (check.ok) domains.add(check.domain);
      else invalid.push({ line: index + 1, entry: name.slice(0, 100), reason: check.reason });
    }
  }
  return { domains: [...domains], invalid, skipped };
}
