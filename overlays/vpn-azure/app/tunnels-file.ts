/**
 * /etc/mcdebian/vpn-azure/tunnels.json: what the build configured, for the device's tools (the
 * status command, the health check). charon knows the connections by name only; this file says
 * which Azure connection and gateway each is, which XFRM interface and routes it has, and what
 * Azure accepts under its policy, so that a refused proposal can be explained on the device.
 */

/** The file's path on the device. */
export const TUNNELS_FILE = '/etc/mcdebian/vpn-azure/tunnels.json';

/** One IKE connection (one per Azure gateway), as the device's tools see it. */
export interface TunnelRecord {
  /** The swanctl connection: azure-NAME-N. */
  name: string;
  /** The config's connection it belongs to (NAME). */
  connection: string;
  /** The Azure gateway's public address. */
  gateway: string;
  /** 1 or 2: which of the connection's gateways. */
  index: number;
  version: 1 | 2;
  /** What McDebian proposes, in strongSwan's syntax. */
  proposals: { ike: string[]; esp: string[] };
  /** What Azure accepts under the connection's policy, in strongSwan's syntax. */
  azureAccepts: { ike: string[]; esp: string[] };
  /** The CHILD_SA names of the connection. */
  children: string[];
  /** Route-based: the XFRM interface, its if_id and the metric of its routes. */
  xfrm?: { interface: string; ifId: number; metric: number };
  localSubnets: string[];
  remoteSubnets: string[];
}

export interface TunnelsFile {
  mode: 'route-based' | 'policy-based';
  tunnels: TunnelRecord[];
}
