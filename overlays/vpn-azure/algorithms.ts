/**
 * strongSwan's proposal keywords (swanctl.conf(5), `proposals` and `esp_proposals`; the table is
 * strongSwan's "IKEv2 Cipher Suites" page) for the algorithms Azure can offer, and proposals
 * expanded into the suites they stand for, so that each can be compared with Azure's offers.
 * A proposal lists algorithms of each kind (`aes256-aes128-sha256-modp2048`): it stands for
 * every combination of them.
 */

export type AlgorithmKind = 'encryption' | 'aead' | 'integrity' | 'prf' | 'dh' | 'esn';

/** Each keyword Azure's algorithms have in strongSwan, by its canonical name; aliases map to it. */
const KEYWORDS: Record<string, { kind: AlgorithmKind; canonical: string }> = {};
const define = (kind: AlgorithmKind, canonical: string, ...aliases: string[]) => {
  for (const name of [canonical, ...aliases]) KEYWORDS[name] = { kind, canonical };
};
define('encryption', 'aes128');
define('encryption', 'aes192');
define('encryption', 'aes256');
define('encryption', '3des');
// GCM with a 16-byte ICV: the only one Azure's GCMAES* names mean (RFC 4106)
define('aead', 'aes128gcm16', 'aes128gcm128', 'aes128gcm');
define('aead', 'aes192gcm16', 'aes192gcm128', 'aes192gcm');
define('aead', 'aes256gcm16', 'aes256gcm128', 'aes256gcm');
define('integrity', 'sha1', 'sha');
define('integrity', 'sha256', 'sha2_256');
define('integrity', 'sha384', 'sha2_384');
define('integrity', 'sha512', 'sha2_512');
define('prf', 'prfsha1');
define('prf', 'prfsha256');
define('prf', 'prfsha384');
define('prf', 'prfsha512');
define('dh', 'modp1024');
define('dh', 'modp2048');
define('dh', 'modp2048s256');
define('dh', 'modp3072');
define('dh', 'modp4096');
define('dh', 'ecp256');
define('dh', 'ecp384');
define('dh', 'ecp521');
define('dh', 'curve25519', 'x25519');
define('esn', 'esn');
define('esn', 'noesn');

/** One IKE algorithm suite: what an IKE_SA would use. */
export interface IkeSuite {
  /** A CBC cipher or an AEAD (GCM). */
  encryption: string;
  /** None with an AEAD. */
  integrity?: string;
  prf: string;
  dh: string;
}

/** One ESP suite: `dh` is the PFS group of a rekeying, none without PFS. */
export interface EspSuite {
  encryption: string;
  integrity?: string;
  dh?: string;
}

/** Why a proposal cannot be read, or the suites it stands for. */
export type Expansion<Suite> = { ok: true; suites: Suite[] } | { ok: false; reason: string };

/** The proposal's keywords by kind; a reason when one is unknown. */
function classify(proposal: string): { ok: true; byKind: Record<AlgorithmKind, string[]> } | { ok: false; reason: string } {
  const byKind: Record<AlgorithmKind, string[]> = { encryption: [], aead: [], integrity: [], prf: [], dh: [], esn: [] };
  const tokens = proposal.trim().toLowerCase().split('-');
  for (const token of tokens) {
    const keyword = KEYWORDS[token];
    if (!keyword) return { ok: false, reason: `"${token}" is not a strongSwan keyword of an algorithm Azure offers (swanctl.conf(5), proposals)` };
    if (!byKind[keyword.kind].includes(keyword.canonical)) byKind[keyword.kind].push(keyword.canonical);
  }
  return { ok: true, byKind };
}

const prfOf = (integrity: string) => `prf${integrity}`;

/** The IKE suites an IKE proposal stands for. */
export function expandIke(proposal: string): Expansion<IkeSuite> {
  const read = classify(proposal);
  if (!read.ok) return read;
  const { encryption, aead, integrity, prf, dh, esn } = read.byKind;
  if (esn.length > 0) return { ok: false, reason: 'esn and noesn belong in ESP proposals, not in IKE proposals' };
  if (dh.length === 0) return { ok: false, reason: 'names no key exchange (DH) group: an IKE proposal needs one, e.g. -ecp384' };
  if (encryption.length + aead.length === 0) return { ok: false, reason: 'names no encryption algorithm' };
  if (aead.length > 0 && encryption.length > 0) return { ok: false, reason: 'mixes GCM with CBC ciphers in one proposal: give them as two proposals' };
  if (aead.length > 0 && prf.length === 0) return { ok: false, reason: 'names no PRF for its GCM cipher: add one, e.g. aes256gcm16-prfsha384-ecp384 (Azure uses the IkeIntegrity algorithm as the PRF)' };
  if (aead.length === 0 && integrity.length === 0) return { ok: false, reason: 'names no integrity algorithm for its CBC cipher, e.g. aes256-sha256-modp2048' };
  const suites: IkeSuite[] = [];
  for (const cipher of aead.length > 0 ? aead : encryption) {
    for (const mac of aead.length > 0 ? [undefined] : integrity) {
      // without an explicit PRF, strongSwan derives one from each integrity algorithm (swanctl.conf(5))
      for (const random of prf.length > 0 ? prf : [prfOf(mac!)]) {
        for (const group of dh) suites.push({ encryption: cipher, integrity: mac, prf: random, dh: group });
      }
    }
  }
  return { ok: true, suites };
}

/** The ESP suites an ESP proposal stands for. */
export function expandEsp(proposal: string): Expansion<EspSuite> {
  const read = classify(proposal);
  if (!read.ok) return read;
  const { encryption, aead, integrity, prf, dh } = read.byKind;
  if (prf.length > 0) return { ok: false, reason: 'names a PRF: ESP proposals have none' };
  if (encryption.length + aead.length === 0) return { ok: false, reason: 'names no encryption algorithm' };
  if (aead.length > 0 && (encryption.length > 0 || integrity.length > 0)) return { ok: false, reason: 'mixes GCM with CBC ciphers or integrity algorithms: give them as two proposals' };
  if (aead.length === 0 && integrity.length === 0) return { ok: false, reason: 'names no integrity algorithm for its CBC cipher, e.g. aes256-sha256' };
  const suites: EspSuite[] = [];
  for (const cipher of aead.length > 0 ? aead : encryption) {
    for (const mac of aead.length > 0 ? [undefined] : integrity) {
      for (const group of dh.length > 0 ? dh : [undefined]) suites.push({ encryption: cipher, integrity: mac, dh: group });
    }
  }
  return { ok: true, suites };
}

/** A suite in strongSwan's own proposal syntax. */
export const formatIke = (suite: IkeSuite) => [suite.encryption, suite.integrity, suite.prf, suite.dh].filter(Boolean).join('-');
export const formatEsp = (suite: EspSuite) => [suite.encryption, suite.integrity, suite.dh].filter(Boolean).join('-');

/** Whether two suites are the same algorithms (PRF derived or written makes no difference). */
export const sameIke = (a: IkeSuite, b: IkeSuite) => a.encryption === b.encryption && a.integrity === b.integrity && a.prf === b.prf && a.dh === b.dh;
export const sameEsp = (a: EspSuite, b: EspSuite) => a.encryption === b.encryption && a.integrity === b.integrity && a.dh === b.dh;

/** The DH groups weaker than 2048-bit MODP that strongSwan leaves out of its default proposal. */
export const WEAK_DH = new Set(['modp1024']);
