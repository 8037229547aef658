/**
 * The block list as records of a BIND response policy zone: the nsupdate script that adds and
 * deletes them, and the reading of `dig AXFR` output back into domains. Blocking a domain and
 * all its subdomains takes two records, the name and its wildcard (BIND ARM, Response Policy
 * Zones): `A`/`AAAA <sink>` answers with the router's blocked page, `CNAME .` with NXDOMAIN.
 * Every domain given here has passed checkDomain.
 */
import { isIP } from 'node:net';

/** What a blocked name answers. */
export type BlockAction = { kind: 'sink'; address: string } | { kind: 'nxdomain' };

/** The zone and the server that holds it. */
export interface ZoneSettings {
  /** The policy zone, without the final dot, e.g. rpz.mcdebian. */
  zone: string;
  server: { address: string; port: number };
  /** TTL of the records written, in seconds. */
  ttl: number;
  action: BlockAction;
}

/** Domains to add and to remove in one update. */
export interface Change {
  add: readonly string[];
  remove: readonly string[];
}

/**
 * How many octets one update message may take. A DNS message over TCP is at most 65535 octets
 * (RFC 1035 §4.2.2) and nsupdate switches to TCP by itself for a large one (nsupdate(1), -v);
 * the estimate below ignores name compression, so half of that leaves room for the TSIG record.
 */
const MESSAGE_BUDGET = 32_768;

/** The domain's two owner names in the zone: itself and its wildcard. */
export const ownerNames = (domain: string, zone: string): [string, string] => [`${domain}.${zone}.`, `*.${domain}.${zone}.`];

/** The record data a blocked name gets. */
function recordData(action: BlockAction): string {
  if (action.kind === 'nxdomain') return 'CNAME .';
  return `${isIP(action.address) === 6 ? 'AAAA' : 'A'} ${action.address}`;
}

/** nsupdate lines per domain: `update delete NAME` removes every record set of the name. */
function updateLines(settings: ZoneSettings, change: Change): string[][] {
  const data = recordData(settings.action);
  const removals = change.remove.map((domain) => ownerNames(domain, settings.zone).map((name) => `update delete ${name}`));
  const additions = change.add.map((domain) => ownerNames(domain, settings.zone).map((name) => `update add ${name} ${settings.ttl} IN ${data}`));
  return [...removals, ...additions];
}

/**
 * nsupdate checks the owner of each added address record as a host name by default, and on a
 * name with an underscore it stops the script with "syntax error" after the messages already
 * sent (nsupdate 9.18). The zone is declared `check-names ignore` and every name here passed
 * checkDomain, so the client-side check is turned off (nsupdate(1), check-names).
 */
const SESSION = ['check-names no'];

/**
 * The script for `nsupdate -k KEYFILE` on stdin. Each `send` is one DNS UPDATE, which BIND
 * applies all or nothing (RFC 2136 §3.7); a change too large for one message is split into
 * several, each naming its server and zone again so it stands on its own. nsupdate goes on
 * after a message that failed, so a failed run may have applied any of the others.
 */
export function renderUpdateScript(settings: ZoneSettings, change: Change): string {
  const header = [`server ${settings.server.address} ${settings.server.port}`, `zone ${settings.zone}.`];
  const messages: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const lines of updateLines(settings, change)) {
    // an uncompressed record: its name plus type, class, TTL, length and data, about 30 octets
    const octets = lines.reduce((sum, line) => sum + line.length + 30, 0);
    if (current.length > 0 && size + octets > MESSAGE_BUDGET) {
      messages.push(current);
      current = [];
      size = 0;
    }
    current.push(...lines);
    size += octets;
  }
  if (current.length > 0) messages.push(current);
  if (messages.length === 0) return '';
  return [...SESSION, ''].join('\n') + messages.map((lines) => [...header, ...lines, 'send', ''].join('\n')).join('');
}

/** The domain an owner name in the zone stands for, or undefined for the apex and RPZ's special names. */
function domainOf(owner: string, suffix: string): string | undefined {
  if (!owner.endsWith(suffix)) return undefined;
  const relative = owner.slice(0, -suffix.length).replace(/^\*\./, '');
  // IP, NSDNAME, NSIP and client-IP triggers end in an `rpz-` label (BIND ARM)
  if (relative === '' || relative === '*' || /(^|\.)rpz-[^.]*$/.test(relative)) return undefined;
  return relative;
}

/**
 * The blocked domains in `dig ... AXFR +noall +answer` output (`owner ttl class type data` per
 * line), each once, sorted. A transfer always starts and ends with the zone's SOA (RFC 5936
 * §2.2); output without it is a failed transfer (dig prints "; Transfer failed." and exits 0).
 */
export function parseAxfr(output: string, zone: string): string[] {
  const apex = `${zone}.`;
  const suffix = `.${apex}`;
  const domains = new Set<string>();
  let soa = false;
  for (const line of output.split('\n')) {
    if (line.trim() === '' || line.startsWith(';')) continue;
    const [owner = '', , , type = ''] = line.trim().split(/\s+/);
    const name = owner.toLowerCase();
    if (name === apex && type.toUpperCase() === 'SOA') soa = true;
    const domain = domainOf(name, suffix);
    if (domain !== undefined) domains.add(domain);
  }
  if (!soa) {
    const said = output.split('\n').filter((line) => line.startsWith(';')).join(' ').trim();
    throw new Error(`the zone transfer of ${zone} returned no SOA record${said ? `: ${said}` : ''}`);
  }
  return [...domains].sort();
}
