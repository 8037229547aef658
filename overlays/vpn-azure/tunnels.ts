/**
 * The tunnels a config makes: one IKE connection per gateway (azure-NAME-1, azure-NAME-2), each
 * with its children (one with any-to-any selectors when route-based; one per local x remote
 * prefix pair when policy-based), its XFRM interface id, and the proposals and lifetimes its
 * policy gives. render.ts, the status tool and the checks all read the tunnels from here.
 */
import { azureOffer, describeOffer, proposalsOf, type AzureOffer } from './presets.js';
import type { Connection, VpnAzureConfig } from './schema.js';

/** One CHILD_SA's configuration. */
export interface Child {
  name: string;
  localTs: string[];
  remoteTs: string[];
}

/** One IKE connection to one gateway. */
export interface Tunnel {
  /** The swanctl connection's name: azure-NAME-N. */
  name: string;
  /** The config's connection it belongs to. */
  connection: string;
  gateway: string;
  /** 1 or 2: which of the connection's gateways. */
  index: number;
  localId: string;
  remoteId: string;
  version: 1 | 2;
  ikeProposals: string[];
  espProposals: string[];
  offer: AzureOffer;
  /** What Azure accepts, in strongSwan's syntax (for `status` when a proposal is refused). */
  azureAccepts: { ike: string[]; esp: string[] };
  children: Child[];
  /** Route-based: the XFRM interface's if_id and name; its routes' metric (the first gateway's lower). */
  xfrm?: { ifId: number; interface: string; metric: number };
  remoteSubnets: string[];
  localSubnets: string[];
  dpdTimeoutSeconds: number;
}

/** The XFRM interface of a connection's Nth gateway (IFNAMSIZ: 15 characters at most). */
export const interfaceName = (connection: string, index: number) => `az-${connection}-${index}`;

/** Route metrics: the first gateway's routes win while its tunnel is up. */
const METRIC_BASE = 100;

function childrenOf(config: VpnAzureConfig, connection: Connection, name: string): Child[] {
  if (config.mode === 'route-based') return [{ name, localTs: ['0.0.0.0/0'], remoteTs: ['0.0.0.0/0'] }];
  // Azure's UsePolicyBasedTrafficSelectors: one selector pair per local x remote prefix
  return connection.localSubnets.flatMap((local, l) => connection.remoteSubnets.map((remote, r) => ({
    name: `${name}-${l * connection.remoteSubnets.length + r + 1}`, localTs: [local], remoteTs: [remote],
  })));
}

/** The tunnels of a config whose checks passed. */
export function tunnelsOf(config: VpnAzureConfig): Tunnel[] {
  let ifId = 0;
  return config.connections.flatMap((connection) => {
    const offer = azureOffer(connection.policy);
    if (!offer) throw new Error(`connection ${connection.name}: azure-custom without its custom policy passed the checks`);
    const proposals = proposalsOf(connection.policy, offer);
    return connection.gateways.map((gateway, g): Tunnel => {
      const name = `azure-${connection.name}-${g + 1}`;
      ifId += 1;
      return {
        name,
        connection: connection.name,
        gateway,
        index: g + 1,
        localId: connection.localId,
        remoteId: connection.remoteId ?? gateway,
        version: offer.version,
        ikeProposals: proposals.ike,
        espProposals: proposals.esp,
        offer,
        azureAccepts: describeOffer(offer),
        children: childrenOf(config, connection, name),
        xfrm: config.mode === 'route-based' ? { ifId, interface: interfaceName(connection.name, g + 1), metric: METRIC_BASE * (g + 1) } : undefined,
        remoteSubnets: connection.remoteSubnets,
        localSubnets: connection.localSubnets,
        dpdTimeoutSeconds: connection.policy.dpdTimeoutSeconds,
      };
    });
  });
}
