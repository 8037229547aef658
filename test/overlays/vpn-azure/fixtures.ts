/** Configs and read files the vpn-azure unit tests share. */
import { getBoard } from '../../../board/index.js';
import type { ReadFile } from '../../../overlays/overlay.js';
import { vpnAzureSchema, type VpnAzureConfig } from '../../../overlays/vpn-azure/schema.js';

export const router = { board: getBoard('wrt1200ac'), hostname: 'gw1', lanAddress: '192.168.1.1/24' };
export const server = { board: getBoard('x86-64'), hostname: 'srv1', lanAddress: '192.168.1.1/24' };

export const ECP384_POLICY = { ikeEncryption: 'GCMAES256', ikeIntegrity: 'SHA384', dhGroup: 'ECP384', ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'GCMAES256', pfsGroup: 'ECP384' };

/** One connection to an Azure gateway with a custom ECP384 policy, fields overridable. */
export function connection(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'hq', gateways: ['203.0.113.10'], localId: '198.51.100.2', localSubnets: ['192.168.1.0/24'], remoteSubnets: ['10.20.0.0/16'],
    psk: 'keys/hq.psk', policy: { preset: 'azure-custom', custom: ECP384_POLICY }, ...fields,
  };
}

export const parse = (value: Record<string, unknown>): VpnAzureConfig => vpnAzureSchema.parse(value);

/** The shared key files a config names, read. */
export function pskFiles(config: VpnAzureConfig, content = 'azure shared key\n'): ReadFile[] {
  return config.connections.map((entry, index) => ({ field: ['connections', index, 'psk'], path: entry.psk, file: `/cfg/${entry.psk}`, content, secret: true, generated: false }));
}
