/**
 * charon's state as `swanctl --list-sas --pretty` and `--list-conns --pretty` print it (keys from
 * strongSwan's vici_query.c, the same in 5.9 and 6.0; 6.0 adds ake1..ake7 for RFC 9370's
 * additional key exchanges). Times in list-sas are relative: `established` and `install-time`
 * are seconds ago, `rekey-time` and `life-time` seconds from now.
 */
import { numberOf, parseViciPretty, sectionOf, textOf, type ViciSection } from './vici-pretty.js';

/** One CHILD_SA as charon lists it. */
export interface ChildSa {
  /** The child's config name. */
  name: string;
  /** INSTALLED, REKEYING, REKEYED, DELETING... */
  state: string;
  /** The negotiated ESP proposal in strongSwan's names, e.g. AES_GCM_16-256/ECP_384. */
  proposal: string;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  /** Seconds since it was installed (a rekey installs a new one). */
  installedSecondsAgo?: number;
  /** Seconds until charon rekeys it. */
  rekeyInSeconds?: number;
  localTs: string[];
  remoteTs: string[];
}

/** One IKE_SA as charon lists it. */
export interface IkeSa {
  /** The connection's name. */
  name: string;
  uniqueId: number;
  /** ESTABLISHED, CONNECTING, REKEYING, DELETING... */
  state: string;
  remoteHost?: string;
  /** Seconds since it was established. */
  establishedSecondsAgo?: number;
  rekeyInSeconds?: number;
  /** The negotiated IKE proposal, e.g. AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384; undefined while connecting. */
  proposal?: string;
  children: ChildSa[];
}

/** A loaded connection and its children's names. */
export interface LoadedConnection {
  name: string;
  children: string[];
}

/** The proposal as swanctl's own listing names it: ENCR-KEYSIZE/INTEG/PRF/DH[/AKEn]. */
function proposalOf(section: ViciSection): string | undefined {
  const encr = textOf(section, 'encr-alg');
  if (encr === undefined) return undefined;
  const keySize = textOf(section, 'encr-keysize');
  const parts = [keySize ? `${encr}-${keySize}` : encr];
  for (const key of ['integ-alg', 'prf-alg', 'dh-group', ...[1, 2, 3, 4, 5, 6, 7].map((n) => `ake${n}`)]) {
    const value = textOf(section, key);
    if (value !== undefined) parts.push(value);
  }
  return parts.join('/');
}

const listOf = (section: ViciSection, key: string): string[] => {
  const value = section[key];
  return Array.isArray(value) ? value : [];
};

function childOf(section: ViciSection): ChildSa {
  return {
    name: textOf(section, 'name') ?? '',
    state: textOf(section, 'state') ?? 'UNKNOWN',
    proposal: proposalOf(section) ?? '',
    bytesIn: numberOf(section, 'bytes-in') ?? 0,
    bytesOut: numberOf(section, 'bytes-out') ?? 0,
    packetsIn: numberOf(section, 'packets-in') ?? 0,
    packetsOut: numberOf(section, 'packets-out') ?? 0,
    installedSecondsAgo: numberOf(section, 'install-time'),
    rekeyInSeconds: numberOf(section, 'rekey-time'),
    localTs: listOf(section, 'local-ts'),
    remoteTs: listOf(section, 'remote-ts'),
  };
}

function ikeSaOf(name: string, section: ViciSection): IkeSa {
  const children = sectionOf(section, 'child-sas') ?? {};
  return {
    name,
    uniqueId: numberOf(section, 'uniqueid') ?? 0,
    state: textOf(section, 'state') ?? 'UNKNOWN',
    remoteHost: textOf(section, 'remote-host'),
    establishedSecondsAgo: numberOf(section, 'established'),
    rekeyInSeconds: numberOf(section, 'rekey-time'),
    proposal: proposalOf(section),
    children: Object.values(children).flatMap((child) => (typeof child === 'object' && !Array.isArray(child) ? [childOf(child)] : [])),
  };
}

/** Every IKE_SA of `swanctl --list-sas --pretty`'s output. */
export function parseListSas(text: string): IkeSa[] {
  return parseViciPretty(text).filter((message) => message.label === 'list-sa event').flatMap((message) =>
    Object.entries(message.body).flatMap(([name, value]) => (typeof value === 'object' && !Array.isArray(value) ? [ikeSaOf(name, value)] : [])));
}

/** Every connection of `swanctl --list-conns --pretty`'s output. */
export function parseListConns(text: string): LoadedConnection[] {
  return parseViciPretty(text).filter((message) => message.label === 'list-conn event').flatMap((message) =>
    Object.entries(message.body).flatMap(([name, value]) => {
      if (typeof value !== 'object' || Array.isArray(value)) return [];
      return [{ name, children: Object.keys(sectionOf(value, 'children') ?? {}) }];
    }));
}
