/**
 * `vpn-azure`: strongSwan site-to-site tunnels to Azure VPN gateways, configured from what the
 * Azure connection is set to (a preset of Azure's offers or its custom IPsec/IKE policy), through
 * swanctl and charon-systemd, route-based over XFRM interfaces or policy-based. Replaces a
 * hand-written ipsec.conf with the PSK in ipsec.secrets. Facts: overlays/vpn-azure/README.md.
 */
import { fileURLToPath } from 'node:url';
import { defineOverlay, type FileReference, type OverlayIssue, type ReadFile } from '../overlay.js';
import { checkVpnAzure } from './checks.js';
import { vpnAzureCommands } from './cli.js';
import { renderVpnAzure } from './render.js';
import { vpnAzureSchema, type VpnAzureConfig } from './schema.js';
import { vpnAzureStatus } from './status.js';
import { APP_PATH } from './units.js';

/** The device tool's entry module, compiled, beside this file. */
const APP_ENTRY = fileURLToPath(new URL('./app/main.js', import.meta.url));

function files(config: VpnAzureConfig): FileReference[] {
  return config.connections.map((connection, index) => ({ field: ['connections', index, 'psk'], path: connection.psk, secret: true }));
}

function validate(config: VpnAzureConfig, read: readonly ReadFile[]): OverlayIssue[] {
  return checkVpnAzure(config, read);
}

export const vpnAzure = defineOverlay<VpnAzureConfig>({
  name: 'vpn-azure',
  summary: 'strongSwan site-to-site tunnels to Azure VPN gateways (swanctl, route-based XFRM or policy-based), Azure\'s policies checked at build',
  architectures: ['armhf', 'amd64'],
  schema: vpnAzureSchema,
  // GCM and the ECP groups: libstrongswan-standard-plugins is only Recommended by libstrongswan,
  // and the image installs no Recommends (mmdebstrap(1))
  packages: () => ['charon-systemd', 'strongswan-swanctl', 'libstrongswan-standard-plugins'],
  nodeServices: [{ entry: APP_ENTRY, path: APP_PATH }],
  files,
  validate,
  render: renderVpnAzure,
  cli: vpnAzureCommands,
  status: vpnAzureStatus,
});
