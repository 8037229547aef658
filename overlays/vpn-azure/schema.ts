/**
 * vpn-azure's section of mcdebian.yaml: the tunnels to Azure VPN gateways, each with the policy
 * its Azure connection is set to (a preset of Azure's offers, or the connection's custom IPsec/IKE
 * policy in Azure's own names), and how the traffic is selected (route-based or policy-based).
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { fileReference, hostname, ipv4, ipv4Cidr } from '../../build/core/fields.js';

/** What the Azure connection is set to (overlays/vpn-azure/README.md, "Presets"). */
export const PRESETS = ['azure-default', 'azure-policy-based', 'azure-custom'] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * An Azure connection's custom IPsec/IKE policy, in the names New-AzIpsecPolicy and the portal
 * use. Azure also accepts DES, MD5, DHGroup1, PFS1 and no encryption; they are broken, so they
 * are not offered here.
 */
const customPolicy = z.strictObject({
  ikeEncryption: z.enum(['GCMAES256', 'GCMAES128', 'AES256', 'AES192', 'AES128', 'DES3']).describe('IKE encryption (Phase 1), as set on Azure'),
  ikeIntegrity: z.enum(['SHA384', 'SHA256', 'SHA1']).describe('IKE integrity (Phase 1), as set on Azure; with GCM it is the PRF'),
  dhGroup: z.enum(['DHGroup24', 'ECP384', 'ECP256', 'DHGroup14', 'DHGroup2048', 'DHGroup2']).describe('IKE DH group, as set on Azure'),
  ipsecEncryption: z.enum(['GCMAES256', 'GCMAES192', 'GCMAES128', 'AES256', 'AES192', 'AES128', 'DES3']).describe('IPsec encryption (Phase 2), as set on Azure'),
  ipsecIntegrity: z.enum(['GCMAES256', 'GCMAES192', 'GCMAES128', 'SHA256', 'SHA1']).describe('IPsec integrity (Phase 2), as set on Azure: the same GCMAES* as ipsecEncryption with GCM'),
  pfsGroup: z.enum(['None', 'PFS24', 'ECP384', 'ECP256', 'PFS2048', 'PFS14', 'PFS2', 'PFSMM']).describe('PFS group (Phase 2), as set on Azure; PFSMM: the IKE DH group'),
  saLifeTimeSeconds: z.int().min(300).max(172_799).default(27_000).describe('IPsec SA lifetime in seconds, as set on Azure (Azure: 300 or more, default 27000)'),
  saDataSizeKilobytes: z.int().min(1024).max(2_147_483_647).default(102_400_000).describe('IPsec SA lifetime in KB, as set on Azure (Azure: 1024 or more, default 102400000)'),
});

export type CustomPolicy = z.output<typeof customPolicy>;

const policy = z.strictObject({
  preset: z.enum(PRESETS).describe('what the Azure connection is set to: azure-default (a RouteBased gateway\'s default offers, DH group 2), azure-policy-based (a Basic PolicyBased gateway: IKEv1, DH group 2), azure-custom (a custom IPsec/IKE policy on the connection, given in custom)'),
  custom: customPolicy.optional().describe('the Azure connection\'s custom IPsec/IKE policy (preset azure-custom)'),
  ikeProposals: z.array(z.string().min(1)).min(1).optional()
    .describe('strongSwan IKE proposals to offer instead of the preset\'s own (e.g. aes256-sha256-modp1024); each must be one Azure accepts under the preset'),
  espProposals: z.array(z.string().min(1)).min(1).optional()
    .describe('strongSwan ESP proposals to offer instead of the preset\'s own (e.g. aes256gcm16); each must be one Azure accepts under the preset'),
  dpdTimeoutSeconds: z.int().min(9).max(3600).default(45).describe('the Azure connection\'s DPD timeout (Azure: 9 to 3600, default 45); a dead gateway is noticed after about this long'),
  allowDhGroup2: z.boolean().default(false).describe('allow DH group 2 (modp1024), which azure-default and azure-policy-based need: 1024-bit, weak; prefer a custom policy'),
});

export type Policy = z.output<typeof policy>;

/** The on-premises identity Azure knows: the local network gateway's address or FQDN. */
const identity = z.union([ipv4, hostname.refine((text) => text.includes('.') && !isIPv4(text))], { error: 'must be an IPv4 address or a fully qualified domain name' });

const connection = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]{0,9}$/, { message: 'must be 1 to 10 lower-case letters and digits, starting with a letter (it names the tunnel\'s interface, az-NAME-1)' })
    .describe('a short name for the tunnel: the swanctl connection is azure-NAME-1 (and -2), its interface az-NAME-1'),
  gateways: z.array(ipv4).min(1).max(2).describe('the Azure VPN gateway\'s public IP address; two for an active-active gateway'),
  localId: identity.describe('this site\'s identity as Azure\'s local network gateway has it: its public IP address (or FQDN)'),
  remoteId: identity.optional().describe('the gateway\'s identity; default: its address'),
  localSubnets: z.array(ipv4Cidr).min(1).describe('the networks on this side (Azure\'s local network gateway address space)'),
  remoteSubnets: z.array(ipv4Cidr).min(1).describe('the Azure VNet\'s address prefixes'),
  psk: fileReference('secret file with the connection\'s shared key (one line, as set on Azure)'),
  policy: policy.describe('the IPsec/IKE policy the Azure connection is set to'),
});

export type Connection = z.output<typeof connection>;

export const vpnAzureSchema = z.strictObject({
  mode: z.enum(['route-based', 'policy-based']).default('route-based')
    .describe('route-based: IKEv2 with any-to-any selectors, an XFRM interface per gateway and routes to the VNet through it; policy-based: one child per local x remote prefix pair (Azure\'s UsePolicyBasedTrafficSelectors, or a Basic PolicyBased gateway)'),
  connections: z.array(connection).min(1).describe('the tunnels, one per Azure connection'),
});

export type VpnAzureConfig = z.output<typeof vpnAzureSchema>;
