/**
 * vpn-azure's files: the swanctl connections (0644) and each connection's shared key in a 0600
 * file of its own, charon's retransmission settings, Debian's charon-systemd unit as the image
 * needs it, the firewall table and its unit, IPv4 forwarding, the XFRM interfaces and their
 * routes for route-based tunnels, the tunnels file the device's tools read, and the boot health
 * check's part. Build-time checks load the connections into strongSwan's own parser.
 */
import { fileURLToPath } from 'node:url';
import type { LayerFile } from '../../rootfs/configure.js';
import type { OverlayCheck, OverlayContext, OverlayRender, ReadFile } from '../overlay.js';
import { TUNNELS_FILE, type TunnelsFile } from './app/tunnels-file.js';
import { expandEsp, expandIke } from './algorithms.js';
import { usesWeakDh } from './checks.js';
import { renderFirewall } from './firewall.js';
import { renderRouteBased } from './network.js';
import { SUGGESTED_CUSTOM_POLICY } from './presets.js';
import type { VpnAzureConfig } from './schema.js';
import { contains, parseNetwork } from './subnets.js';
import { renderConnections, renderSecrets, UPDOWN_SCRIPT } from './swanctl.js';
import { tunnelsOf, type Tunnel } from './tunnels.js';
import { DEVICE_TOOL } from './status.js';
import { REDIAL_SCRIPT, REDIAL_SERVICE, REDIAL_TIMER, redialScript, redialService, redialTimer } from './redial.js';
import { APP_PATH, commandWrapper, FIREWALL_FILE, FIREWALL_UNIT, firewallUnit, healthCheck, renderCharonSettings, STRONGSWAN_UNIT, strongswanUnit } from './units.js';

export const CONNECTIONS_FILE = '/etc/swanctl/conf.d/mcdebian-vpn-azure.conf';
/** One 0600 file per Azure connection; swanctl.conf includes conf.d/*.conf. */
export const secretsFileOf = (connection: string) => `/etc/swanctl/conf.d/mcdebian-vpn-azure-${connection}-secret.conf`;
/** The build host's check that loads the image's swanctl configuration into a throwaway charon. */
const CHECK_SWANCTL = fileURLToPath(new URL('../../../overlays/vpn-azure/host/check-swanctl', import.meta.url));
const OPENSSL_PLUGIN = '/usr/lib/ipsec/plugins/libstrongswan-openssl.so';

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });

/** The shared key as written in its file, without the line's end. */
const keyOf = (read: ReadFile) => (read.content ?? '').replace(/\r?\n$/, '');

function secretFiles(config: VpnAzureConfig, tunnels: readonly Tunnel[], files: readonly ReadFile[]): LayerFile[] {
  return config.connections.map((connection, index) => {
    const read = files.find((entry) => entry.field.join('.') === `connections.${index}.psk`);
    if (!read) throw new Error(`no file was read for field connections.${index}.psk`);
    const own = tunnels.filter((tunnel) => tunnel.connection === connection.name);
    return {
      path: secretsFileOf(connection.name),
      content: renderSecrets(own, new Map([[connection.name, keyOf(read)]])),
      mode: 0o600,
      secret: { overlay: 'vpn-azure', field: read.field.join('.'), source: read.file },
    };
  });
}

/** The router's own address in a local subnet: its traffic to the VNet must come from inside the selectors. */
function sourceAddress(config: VpnAzureConfig, context: OverlayContext): string | undefined {
  if (context.board.network.kind !== 'router') return undefined;
  const address = context.lanAddress.split('/')[0]!;
  const inside = config.connections.every((connection) => connection.localSubnets.some((subnet) => contains(parseNetwork(subnet), address)));
  return inside ? address : undefined;
}

export function renderTunnelsFile(config: VpnAzureConfig, tunnels: readonly Tunnel[]): string {
  const data: TunnelsFile = {
    mode: config.mode,
    tunnels: tunnels.map((tunnel) => ({
      name: tunnel.name,
      connection: tunnel.connection,
      gateway: tunnel.gateway,
      index: tunnel.index,
      version: tunnel.version,
      proposals: { ike: tunnel.ikeProposals, esp: tunnel.espProposals },
      azureAccepts: tunnel.azureAccepts,
      children: tunnel.children.map((child) => child.name),
      ...(tunnel.xfrm ? { xfrm: tunnel.xfrm } : {}),
      localSubnets: tunnel.localSubnets,
      remoteSubnets: tunnel.remoteSubnets,
    })),
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}

const usesDhGroup2 = (tunnel: Tunnel) => usesWeakDh(tunnel.ikeProposals, expandIke) || usesWeakDh(tunnel.espProposals, expandEsp);

function notes(config: VpnAzureConfig, tunnels: readonly Tunnel[]): string[] {
  const lines = config.connections.map((connection) => {
    const own = tunnels.filter((tunnel) => tunnel.connection === connection.name);
    const [first] = own;
    return `${connection.name}: ${config.mode}, IKEv${first?.version ?? 2} to ${connection.gateways.join(' and ')} (${connection.policy.preset}; IKE ${first?.ikeProposals.join(',')}; ESP ${first?.espProposals.join(',')}); ${connection.localSubnets.join(',')} <-> ${connection.remoteSubnets.join(',')}`;
  });
  const weak = [...new Set(tunnels.filter(usesDhGroup2).map((tunnel) => tunnel.connection))];
  for (const name of weak) {
    lines.push(`warning: ${name} uses DH group 2 (modp1024, 1024-bit), as allowDhGroup2 asks: set a custom IPsec/IKE policy on the Azure connection instead (${SUGGESTED_CUSTOM_POLICY}) and use preset: azure-custom`);
  }
  return lines;
}

function checks(tunnels: readonly Tunnel[]): OverlayCheck[] {
  return [
    {
      description: 'strongSwan loads every connection and shared key (a throwaway charon on the build host, in a network namespace of its own)',
      argv: [CHECK_SWANCTL, '{rootfs}', ...tunnels.map((tunnel) => tunnel.name)],
      on: 'host',
    },
    {
      description: 'nft accepts the firewall table (checked on the build host in a network namespace of its own)',
      argv: ['unshare', '--net', 'nft', '--check', '--file', `{rootfs}${FIREWALL_FILE}`],
      on: 'host',
    },
    { description: 'strongSwan\'s openssl plugin (AES-GCM, the ECP and MODP groups) is in the image', argv: ['test', '-e', OPENSSL_PLUGIN] },
    ...(tunnels.some((tunnel) => tunnel.xfrm) ? [{ description: 'the route hook is valid shell', argv: ['sh', '-n', UPDOWN_SCRIPT] }] : []),
    { description: 'the redial script is valid shell', argv: ['sh', '-n', REDIAL_SCRIPT] },
    { description: 'the image\'s nodejs parses the bundled status tool', argv: ['node', '--check', APP_PATH] },
  ];
}

export function renderVpnAzure(config: VpnAzureConfig, files: readonly ReadFile[], context: OverlayContext): OverlayRender {
  const tunnels = tunnelsOf(config);
  const layer: LayerFile[] = [
    file(CONNECTIONS_FILE, renderConnections(tunnels)),
    ...secretFiles(config, tunnels, files),
    file('/etc/strongswan.d/mcdebian-vpn-azure.conf', renderCharonSettings(tunnels)),
    file(`/etc/systemd/system/${STRONGSWAN_UNIT}`, strongswanUnit()),
    file(FIREWALL_FILE, renderFirewall(tunnels)),
    file(`/etc/systemd/system/${FIREWALL_UNIT}`, firewallUnit()),
    // forwarding on for the tunnels; the firewall's forward chain passes their subnets only
    file('/etc/sysctl.d/60-mcdebian-vpn-azure.conf', '# McDebian vpn-azure: the router forwards between its subnets and the VNet (the nftables table limits it to them)\nnet.ipv4.ip_forward = 1\n'),
    ...renderRouteBased(tunnels, sourceAddress(config, context)),
    file(TUNNELS_FILE, renderTunnelsFile(config, tunnels)),
    file('/etc/mcdebian/health.d/vpn-azure', healthCheck(tunnels), 0o755),
    file(DEVICE_TOOL, commandWrapper(), 0o755),
    file(REDIAL_SCRIPT, redialScript(tunnels), 0o755),
    file(`/etc/systemd/system/${REDIAL_SERVICE}`, redialService(STRONGSWAN_UNIT)),
    file(`/etc/systemd/system/${REDIAL_TIMER}`, redialTimer()),
  ];
  return { files: layer, units: [FIREWALL_UNIT, STRONGSWAN_UNIT, REDIAL_TIMER], checks: checks(tunnels), outputs: [], notes: notes(config, tunnels) };
}
