/**
 * vpn-azure's nftables table: IKE and ESP accepted from the Azure gateways only, forwarding only
 * between each connection's local subnets and its VNet prefixes through its tunnels, and TCP's
 * MSS clamped to 1350 on the tunnels, as Azure asks of on-premises devices
 * (vpn-gateway-about-vpn-devices, "IPsec/IKE parameters": "TCP MSS clamping at 1350").
 * The table is the overlay's own (nft(8) tables are independent), so the user's ruleset stays theirs.
 */
import type { Tunnel } from './tunnels.js';

export const TABLE = 'mcdebian_vpn_azure';
/** Azure's advice: clamp the MSS to 1350, or set the tunnel's MTU to 1400. */
export const TUNNEL_MSS = 1350;

const set = (items: readonly string[]) => `{ ${items.join(', ')} }`;
const quoted = (items: readonly string[]) => set(items.map((item) => `"${item}"`));

/** The forward rules of one Azure connection (its one or two tunnels). */
function forwardRules(tunnels: readonly Tunnel[]): string[] {
  const [first] = tunnels;
  if (!first) return [];
  const local = set(first.localSubnets);
  const remote = set(first.remoteSubnets);
  const interfaces = tunnels.flatMap((tunnel) => (tunnel.xfrm ? [tunnel.xfrm.interface] : []));
  if (interfaces.length > 0) {
    return [
      `oifname ${quoted(interfaces)} ip saddr ${local} ip daddr ${remote} accept`,
      `iifname ${quoted(interfaces)} ip saddr ${remote} ip daddr ${local} accept`,
    ];
  }
  // policy-based: the kernel's IPsec policies pick the traffic; `rt ipsec exists` marks what
  // leaves through a tunnel, `meta secpath exists` what came in decrypted (nft(8))
  return [
    `rt ipsec exists ip saddr ${local} ip daddr ${remote} accept`,
    `meta secpath exists ip saddr ${remote} ip daddr ${local} accept`,
  ];
}

/** The clamp: SYNs leaving or entering through a tunnel get at most TUNNEL_MSS. */
function clampRules(tunnels: readonly Tunnel[]): string[] {
  const clamp = `tcp flags syn tcp option maxseg size > ${TUNNEL_MSS} tcp option maxseg size set ${TUNNEL_MSS}`;
  const interfaces = tunnels.flatMap((tunnel) => (tunnel.xfrm ? [tunnel.xfrm.interface] : []));
  if (interfaces.length > 0) return [`oifname ${quoted(interfaces)} ${clamp}`, `iifname ${quoted(interfaces)} ${clamp}`];
  return [`rt ipsec exists ${clamp}`, `meta secpath exists ${clamp}`];
}

/** The ruleset file, loaded by `nft -f` (it replaces the table as a whole each time). */
export function renderFirewall(tunnels: readonly Tunnel[]): string {
  const gateways = [...new Set(tunnels.map((tunnel) => tunnel.gateway))];
  const byConnection = new Map<string, Tunnel[]>();
  for (const tunnel of tunnels) byConnection.set(tunnel.connection, [...(byConnection.get(tunnel.connection) ?? []), tunnel]);
  const forward = [...byConnection.values()].flatMap(forwardRules);
  const lines = [
    '#!/usr/sbin/nft -f',
    '# McDebian vpn-azure (mcdebian.yaml overlays.vpn-azure): IKE and ESP from the Azure gateways only,',
    '# forwarding only between the named subnets through the tunnels, MSS clamped on them.',
    // declaring the table first makes the delete succeed on the first load too
    `table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
    `  set gateways {`,
    `    type ipv4_addr`,
    `    elements = ${set(gateways)}`,
    `  }`,
    `  chain input {`,
    `    type filter hook input priority filter; policy accept;`,
    `    udp dport { 500, 4500 } ip saddr != @gateways drop`,
    `    meta nfproto ipv6 udp dport { 500, 4500 } drop`,
    `    meta l4proto esp ip saddr != @gateways drop`,
    `    meta nfproto ipv6 meta l4proto esp drop`,
    `  }`,
    `  chain forward {`,
    // the base image forwards nothing; the tunnels' subnets are all this router forwards
    `    type filter hook forward priority filter; policy drop;`,
    ...forward.map((rule) => `    ${rule}`),
    `  }`,
    `  chain clamp-forward {`,
    `    type filter hook forward priority mangle; policy accept;`,
    ...clampRules(tunnels).map((rule) => `    ${rule}`),
    `  }`,
    `  chain clamp-output {`,
    `    type filter hook output priority mangle; policy accept;`,
    ...clampRules(tunnels).filter((rule) => !rule.startsWith('iifname') && !rule.startsWith('meta secpath')).map((rule) => `    ${rule}`),
    `  }`,
    `}`,
  ];
  return `${lines.join('\n')}\n`;
}
