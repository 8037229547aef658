/**
 * What Azure offers and accepts under each preset, and what McDebian proposes to it. The offer
 * lists, lifetimes and DPD are Azure's documented ones (overlays/vpn-azure/README.md, "Facts":
 * the IPsec parameters of vpn-gateway-about-vpn-devices and the custom policy's values of
 * ipsec-ike-policy-howto, in MicrosoftDocs/azure-docs).
 */
import { expandEsp, expandIke, formatEsp, formatIke, type EspSuite, type IkeSuite } from './algorithms.js';
import type { CustomPolicy, Policy, Preset } from './schema.js';

/** Azure's side of a connection under a policy. */
export interface AzureOffer {
  /** IKE version Azure speaks: IKEv1 only on a Basic PolicyBased gateway. */
  version: 1 | 2;
  /** The IKE suites Azure accepts. */
  ike: IkeSuite[];
  /** The ESP suites Azure accepts (with the PFS group a rekeying would use). */
  esp: EspSuite[];
  /** What McDebian proposes by default, strongest first: each is in the lists above. */
  defaults: { ike: string[]; esp: string[] };
  /** Azure's IKE SA lifetime: fixed at 28,800 s. */
  ikeLifetimeSeconds: number;
  childLifetimeSeconds: number;
  childLifetimeKilobytes: number;
  /** Whether Azure answers DPD (a Basic PolicyBased gateway does not). */
  dpd: boolean;
}

const IKE_LIFETIME = 28_800;
const KILOBYTES = 102_400_000;

const suitesOf = <Suite>(expand: (text: string) => { ok: true; suites: Suite[] } | { ok: false; reason: string }, proposals: string[]) =>
  proposals.flatMap((text) => {
    const expanded = expand(text);
    if (!expanded.ok) throw new Error(`preset proposal ${text}: ${expanded.reason}`);
    return expanded.suites;
  });

/**
 * A RouteBased gateway's defaults: IKE phase 1 AES256/AES128/3DES with SHA1/SHA256 and DH group 2;
 * quick mode GCM-AES256, AES256/SHA1, 3DES/SHA1, AES256/SHA256, AES128/SHA1, 3DES/SHA256 without
 * PFS, and as responder the same with PFS 1, 2, 14 or 24 (PFS 1, modp768, strongSwan no longer has).
 */
function azureDefault(): AzureOffer {
  const espBase = ['aes256gcm16', 'aes256-sha1', '3des-sha1', 'aes256-sha256', 'aes128-sha1', '3des-sha256'];
  return {
    version: 2,
    ike: suitesOf(expandIke, ['aes256-aes128-3des-sha1-sha256-modp1024']),
    esp: suitesOf(expandEsp, [...espBase, ...espBase.flatMap((base) => ['modp1024', 'modp2048', 'modp2048s256'].map((group) => `${base}-${group}`))]),
    defaults: { ike: ['aes256-sha256-modp1024', 'aes256-sha1-modp1024', 'aes128-sha256-modp1024', 'aes128-sha1-modp1024'], esp: ['aes256gcm16', 'aes256-sha256', 'aes256-sha1', 'aes128-sha1'] },
    ikeLifetimeSeconds: IKE_LIFETIME,
    childLifetimeSeconds: 27_000,
    childLifetimeKilobytes: KILOBYTES,
    dpd: true,
  };
}

/** A Basic PolicyBased gateway: IKEv1 main mode, DH group 2, no PFS, no DPD, 3,600 s quick mode SAs. */
function azurePolicyBased(): AzureOffer {
  return {
    version: 1,
    ike: suitesOf(expandIke, ['aes256-aes128-3des-sha1-modp1024', 'aes256-sha256-modp1024']),
    esp: suitesOf(expandEsp, ['aes256-aes128-3des-sha1', 'aes256-sha256']),
    defaults: { ike: ['aes256-sha1-modp1024', 'aes128-sha1-modp1024'], esp: ['aes256-sha1', 'aes128-sha1'] },
    ikeLifetimeSeconds: IKE_LIFETIME,
    childLifetimeSeconds: 3600,
    childLifetimeKilobytes: KILOBYTES,
    dpd: false,
  };
}

const CIPHERS: Record<string, string> = {
  GCMAES256: 'aes256gcm16', GCMAES192: 'aes192gcm16', GCMAES128: 'aes128gcm16', AES256: 'aes256', AES192: 'aes192', AES128: 'aes128', DES3: '3des',
};
const INTEGRITY: Record<string, string> = { SHA384: 'sha384', SHA256: 'sha256', SHA1: 'sha1' };
const DH_GROUPS: Record<string, string> = {
  DHGroup24: 'modp2048s256', ECP384: 'ecp384', ECP256: 'ecp256', DHGroup14: 'modp2048', DHGroup2048: 'modp2048', DHGroup2: 'modp1024',
  PFS24: 'modp2048s256', PFS2048: 'modp2048', PFS14: 'modp2048', PFS2: 'modp1024',
};

/** The custom policy's one IKE suite and one ESP suite, in strongSwan's syntax (the schema checked the names). */
export function customProposals(custom: CustomPolicy): { ike: string; esp: string } {
  const ikeCipher = CIPHERS[custom.ikeEncryption]!;
  const gcm = ikeCipher.includes('gcm');
  const ike = gcm
    ? `${ikeCipher}-prf${INTEGRITY[custom.ikeIntegrity]}-${DH_GROUPS[custom.dhGroup]}`
    : `${ikeCipher}-${INTEGRITY[custom.ikeIntegrity]}-${DH_GROUPS[custom.dhGroup]}`;
  const espCipher = CIPHERS[custom.ipsecEncryption]!;
  const pfs = custom.pfsGroup === 'None' ? undefined : custom.pfsGroup === 'PFSMM' ? DH_GROUPS[custom.dhGroup] : DH_GROUPS[custom.pfsGroup];
  const esp = [espCipher, espCipher.includes('gcm') ? undefined : INTEGRITY[custom.ipsecIntegrity], pfs].filter(Boolean).join('-');
  return { ike, esp };
}

/** A custom policy: Azure accepts exactly the one combination it names ("only one policy combination"). */
function azureCustom(custom: CustomPolicy): AzureOffer {
  const { ike, esp } = customProposals(custom);
  return {
    version: 2,
    ike: suitesOf(expandIke, [ike]),
    esp: suitesOf(expandEsp, [esp]),
    defaults: { ike: [ike], esp: [esp] },
    ikeLifetimeSeconds: IKE_LIFETIME,
    childLifetimeSeconds: custom.saLifeTimeSeconds,
    childLifetimeKilobytes: custom.saDataSizeKilobytes,
    dpd: true,
  };
}

/** What Azure accepts under the policy; undefined for azure-custom without its custom values (a config error). */
export function azureOffer(policy: Policy): AzureOffer | undefined {
  const offers: Record<Preset, () => AzureOffer | undefined> = {
    'azure-default': azureDefault,
    'azure-policy-based': azurePolicyBased,
    'azure-custom': () => (policy.custom ? azureCustom(policy.custom) : undefined),
  };
  return offers[policy.preset]();
}

/** What McDebian proposes: the config's own proposals, else the preset's. */
export function proposalsOf(policy: Policy, offer: AzureOffer): { ike: string[]; esp: string[] } {
  return { ike: policy.ikeProposals ?? offer.defaults.ike, esp: policy.espProposals ?? offer.defaults.esp };
}

/** Azure's offers as strongSwan proposals, for messages and `status`. */
export function describeOffer(offer: AzureOffer): { ike: string[]; esp: string[] } {
  return { ike: offer.ike.map(formatIke), esp: offer.esp.map(formatEsp) };
}

/** The custom policy to name when a preset needs DH group 2: Azure's recommended algorithms with ECP384. */
export const SUGGESTED_CUSTOM_POLICY = 'IkeEncryption GCMAES256, IkeIntegrity SHA384, DhGroup ECP384, IpsecEncryption GCMAES256, IpsecIntegrity GCMAES256, PfsGroup ECP384';
