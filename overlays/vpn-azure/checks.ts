/**
 * The checks of a vpn-azure section that its schema cannot make: subnets that are networks and
 * do not overlap, gateways used once, the preset's rules (IKEv1 and one tunnel on a Basic
 * gateway), the custom policy's pairing of GCM, every proposal against what Azure accepts under
 * the preset, DH group 2 only when asked for, and the shared key file. Each issue names its field.
 */
import type { OverlayIssue, ReadFile } from '../overlay.js';
import { expandEsp, expandIke, sameEsp, sameIke, WEAK_DH, type EspSuite, type IkeSuite } from './algorithms.js';
import { azureOffer, describeOffer, proposalsOf, SUGGESTED_CUSTOM_POLICY, type AzureOffer } from './presets.js';
import type { Connection, VpnAzureConfig } from './schema.js';
import { canonical, hasHostBits, overlaps, parseNetwork, type Network } from './subnets.js';

type Field = (string | number)[];
const at = (index: number, ...rest: (string | number)[]): Field => ['connections', index, ...rest];

interface Placed { network: Network; field: Field; connection: string; index: number }

/** Host bits and /0 in one list of subnets. */
function subnetIssues(list: readonly string[], field: Field): OverlayIssue[] {
  return list.flatMap((text, index) => {
    const network = parseNetwork(text);
    if (network.prefix === 0) return [{ field: [...field, index], message: `${text} would send every address through the tunnel: name the networks themselves` }];
    if (hasHostBits(network)) return [{ field: [...field, index], message: `${text} is an address inside ${canonical(network)}, not a network: write ${canonical(network)}` }];
    return [];
  });
}

/** Overlaps: within a connection's own lists, remote against local, and remote prefixes across connections. */
function overlapIssues(config: VpnAzureConfig): OverlayIssue[] {
  const issues: OverlayIssue[] = [];
  const remotes: Placed[] = [];
  const locals: Placed[] = [];
  config.connections.forEach((connection, index) => {
    const place = (key: 'localSubnets' | 'remoteSubnets') => connection[key].map((text, j) => ({ network: parseNetwork(text), field: at(index, key, j), connection: connection.name, index }));
    const [local, remote] = [place('localSubnets'), place('remoteSubnets')];
    for (const list of [local, remote]) {
      list.forEach((a, i) => list.slice(i + 1).forEach((b) => {
        if (overlaps(a.network, b.network)) issues.push({ field: b.field, message: `${b.network.text} overlaps ${a.network.text} in the same list: give each network once` });
      }));
    }
    locals.push(...local);
    remotes.push(...remote);
  });
  for (const remote of remotes) {
    const local = locals.find((entry) => overlaps(entry.network, remote.network));
    if (local) issues.push({ field: remote.field, message: `${remote.network.text} overlaps the local subnet ${local.network.text} (${local.connection}): a VNet prefix must not be a network of this side` });
  }
  remotes.forEach((a, i) => remotes.slice(i + 1).forEach((b) => {
    if (a.index !== b.index && overlaps(a.network, b.network)) issues.push({ field: b.field, message: `${b.network.text} overlaps ${a.network.text} of connection ${a.connection}: traffic for it could go through either tunnel` });
  }));
  return issues;
}

function uniquenessIssues(config: VpnAzureConfig): OverlayIssue[] {
  const issues: OverlayIssue[] = [];
  const names = new Map<string, number>();
  const gateways = new Map<string, string>();
  config.connections.forEach((connection, index) => {
    if (names.has(connection.name)) issues.push({ field: at(index, 'name'), message: `"${connection.name}" is the name of connection ${names.get(connection.name)! + 1} too: each needs its own` });
    names.set(connection.name, index);
    connection.gateways.forEach((gateway, g) => {
      const user = gateways.get(gateway);
      if (user !== undefined) issues.push({ field: at(index, 'gateways', g), message: `${gateway} is already a gateway of ${user}: one IKE SA per gateway` });
      gateways.set(gateway, connection.name);
    });
  });
  return issues;
}

/** What the preset demands of the mode, the connection and its other fields. */
function presetIssues(config: VpnAzureConfig, connection: Connection, index: number): OverlayIssue[] {
  const { policy } = connection;
  const issues: OverlayIssue[] = [];
  if (policy.preset === 'azure-custom' && policy.custom === undefined) issues.push({ field: at(index, 'policy', 'custom'), message: 'is missing: azure-custom needs the Azure connection\'s custom policy (ikeEncryption, ikeIntegrity, dhGroup, ipsecEncryption, ipsecIntegrity, pfsGroup)' });
  if (policy.preset !== 'azure-custom' && policy.custom !== undefined) issues.push({ field: at(index, 'policy', 'custom'), message: `goes with preset azure-custom; ${policy.preset} has Azure's fixed offers` });
  if (policy.custom) {
    const gcm = policy.custom.ipsecEncryption.startsWith('GCM');
    if (gcm && policy.custom.ipsecIntegrity !== policy.custom.ipsecEncryption) issues.push({ field: at(index, 'policy', 'custom', 'ipsecIntegrity'), message: `must be ${policy.custom.ipsecEncryption} like ipsecEncryption: Azure uses GCM for both IPsec encryption and integrity` });
    if (!gcm && policy.custom.ipsecIntegrity.startsWith('GCM')) issues.push({ field: at(index, 'policy', 'custom', 'ipsecIntegrity'), message: `${policy.custom.ipsecIntegrity} goes only with the same GCMAES* as ipsecEncryption; with ${policy.custom.ipsecEncryption} use SHA256 or SHA1` });
  }
  if (policy.preset === 'azure-policy-based') {
    if (config.mode !== 'policy-based') issues.push({ field: ['mode'], message: `is route-based, but connection ${connection.name} is to a Basic PolicyBased gateway (IKEv1, one child per prefix pair): set mode: policy-based` });
    if (config.connections.length > 1) issues.push({ field: at(index, 'policy', 'preset'), message: 'a Basic PolicyBased gateway takes one site-to-site connection only: this config has more' });
  }
  if (config.mode === 'policy-based' && connection.gateways.length > 1) {
    issues.push({ field: at(index, 'gateways'), message: 'two gateways with policy-based selectors would install the same IPsec policies twice, and the kernel accepts inbound traffic through one of them only: use mode: route-based for an active-active gateway' });
  }
  return issues;
}

/** Each proposal read, and held against Azure's offers. */
function proposalIssues<Suite extends IkeSuite | EspSuite>(options: {
  proposals: readonly string[]; field: Field; offered: readonly Suite[]; shown: string[];
  expand: (text: string) => { ok: true; suites: Suite[] } | { ok: false; reason: string }; same: (a: Suite, b: Suite) => boolean; preset: string; explicit: boolean;
}): OverlayIssue[] {
  return options.proposals.flatMap((text, index) => {
    const field = options.explicit ? [...options.field, index] : options.field;
    const expanded = options.expand(text);
    if (!expanded.ok) return [{ field, message: `${text} ${expanded.reason}` }];
    if (expanded.suites.some((suite) => options.offered.some((offer) => options.same(suite, offer)))) return [];
    return [{ field, message: `${text}: Azure rejects it under ${options.preset}, which accepts ${options.shown.join(', ')}` }];
  });
}

/** Whether any suite of the proposals uses a DH group strongSwan leaves out as weak (DH group 2). */
export const usesWeakDh = (proposals: readonly string[], expand: typeof expandIke | typeof expandEsp) =>
  proposals.some((text) => {
    const expanded = expand(text);
    return expanded.ok && expanded.suites.some((suite) => suite.dh !== undefined && WEAK_DH.has(suite.dh));
  });

function policyIssues(connection: Connection, index: number, offer: AzureOffer): OverlayIssue[] {
  const { policy } = connection;
  const proposals = proposalsOf(policy, offer);
  const shown = describeOffer(offer);
  const field = (key: 'ikeProposals' | 'espProposals', explicit: boolean) => (explicit ? at(index, 'policy', key) : at(index, 'policy', 'preset'));
  const issues = [
    ...proposalIssues({ proposals: proposals.ike, field: field('ikeProposals', policy.ikeProposals !== undefined), offered: offer.ike, shown: shown.ike, expand: expandIke, same: sameIke, preset: policy.preset, explicit: policy.ikeProposals !== undefined }),
    ...proposalIssues({ proposals: proposals.esp, field: field('espProposals', policy.espProposals !== undefined), offered: offer.esp, shown: shown.esp, expand: expandEsp, same: sameEsp, preset: policy.preset, explicit: policy.espProposals !== undefined }),
  ];
  if (!policy.allowDhGroup2 && (usesWeakDh(proposals.ike, expandIke) || usesWeakDh(proposals.esp, expandEsp))) {
    issues.push({
      field: at(index, 'policy', 'allowDhGroup2'),
      message: `is off, but ${policy.preset === 'azure-custom' ? 'the custom policy' : policy.preset} needs DH group 2 (modp1024, 1024-bit, which strongSwan leaves out as weak): `
        + `set a custom IPsec/IKE policy on the Azure connection (${SUGGESTED_CUSTOM_POLICY}) and use preset: azure-custom with it, or set allowDhGroup2: true`,
    });
  }
  return issues;
}

/** The shared key as Azure takes it: one line of printable ASCII. */
export function pskIssue(file: ReadFile): string | undefined {
  if (file.content === undefined) return undefined;
  const key = file.content.replace(/\r?\n$/, '');
  if (key === '') return `${file.path} is empty: it must hold the connection's shared key, as set on Azure`;
  if (/[\r\n]/.test(key)) return `${file.path} has more than one line: it must hold the shared key alone`;
  if (!/^[\x20-\x7e]+$/.test(key)) return `${file.path} holds characters other than printable ASCII: Azure's shared keys are printable ASCII`;
  return undefined;
}

export function checkVpnAzure(config: VpnAzureConfig, files: readonly ReadFile[]): OverlayIssue[] {
  const issues: OverlayIssue[] = [...uniquenessIssues(config), ...overlapIssues(config)];
  config.connections.forEach((connection, index) => {
    issues.push(...subnetIssues(connection.localSubnets, at(index, 'localSubnets')), ...subnetIssues(connection.remoteSubnets, at(index, 'remoteSubnets')));
    issues.push(...presetIssues(config, connection, index));
    const offer = azureOffer(connection.policy);
    if (offer) issues.push(...policyIssues(connection, index, offer));
    const psk = files.find((file) => file.field.join('.') === `connections.${index}.psk`);
    const problem = psk && pskIssue(psk);
    if (problem) issues.push({ field: at(index, 'psk'), message: problem });
  });
  return issues;
}
