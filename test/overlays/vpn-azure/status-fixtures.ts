/** The outputs test/fixtures/vpn-azure/record.sh recorded from strongSwan 5.9.8, and a tunnels file that matches them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TunnelRecord, TunnelsFile } from '../../../overlays/vpn-azure/app/tunnels-file.js';

export const recorded = (path: string) => readFileSync(fileURLToPath(new URL(`../../../../test/fixtures/vpn-azure/${path}`, import.meta.url)), 'utf8');

/** The recorded connection as the build would describe it (record.sh's names, addresses and proposals). */
export const recordedTunnel: TunnelRecord = {
  name: 'azure-hq-1',
  connection: 'hq',
  gateway: '10.99.0.2',
  index: 1,
  version: 2,
  proposals: { ike: ['aes256gcm16-prfsha384-ecp384'], esp: ['aes256gcm16-ecp384'] },
  azureAccepts: { ike: ['aes256-sha1-modp1024', 'aes256-sha256-modp1024'], esp: ['aes256gcm16', 'aes256-sha1'] },
  children: ['azure-hq-1'],
  xfrm: { interface: 'az-hq-1', ifId: 1, metric: 100 },
  localSubnets: ['10.1.0.0/24'],
  remoteSubnets: ['10.2.0.0/24'],
};

export const recordedFile: TunnelsFile = { mode: 'route-based', tunnels: [recordedTunnel] };
