/**
 * An "Azure" VPN gateway played by a second strongSwan: a responder whose proposals are exactly
 * Azure's offers under a preset (presets.ts `azureOffer`), with Azure's lifetimes and DPD.
 */
import { join } from 'node:path';
import { formatEsp, formatIke } from '../../../../overlays/vpn-azure/algorithms.js';
import type { AzureOffer } from '../../../../overlays/vpn-azure/presets.js';
import { writeFiles } from '../../../helpers/temp-dir.js';
import { startCharon, type Charon } from './charon.js';
import type { Teardown } from './netns.js';
import { loadSwanctlTree } from './swanctl.js';

/** One end of the tunnel: its public address and its IKE identity. */
export interface Endpoint {
  address: string;
  id: string;
}

/** The peer's configuration. */
export interface AzurePeerOptions {
  /** What Azure accepts; a test may shorten its lifetimes to see rekeying. */
  offer: AzureOffer;
  /** The gateway's own address and id. */
  local: Endpoint;
  /** The on-premises device's. */
  remote: Endpoint;
  psk: string;
  /**
   * The selectors Azure is configured with; default any-to-any, as a RouteBased gateway has.
   * Azure "accepts whatever traffic selector is proposed by the remote gateway": a strongSwan
   * responder narrows its own selectors to what the initiator proposes (swanctl.conf(5),
   * local_ts), so 0.0.0.0/0 here accepts any proposal.
   */
  selectors?: { local: string[]; remote: string[] };
  /** How often it checks a silent peer (DPD), when the offer says Azure does; default 10 s. */
  dpdDelaySeconds?: number;
  /**
   * After how long a silent peer is given up (the Azure connection's DPD timeout; default 45 s).
   * libreswan takes it per connection; strongSwan's IKEv2 gives up after its retransmission
   * schedule, which strongswan.conf sets for the whole daemon, so the strongSwan peer keeps it.
   */
  dpdTimeoutSeconds?: number;
}

/** The connection and its child are both named this in the peer's swanctl.conf. */
export const AZURE_PEER_CONNECTION = 'azure';

/**
 * The peer's swanctl.conf. Every proposal is written out with its DH group: strongSwan's default
 * proposal leaves out modp1024 (libstrongswan/crypto/proposal/proposal.c), and Azure's default
 * policy needs it. ESP suites with a group are the PFS variants Azure accepts as responder
 * (strongSwan ignores the group for the child made with IKE_AUTH, as that has no key exchange).
 */
export function azurePeerConf(options: AzurePeerOptions): string {
  const { offer } = options;
  const selectors = options.selectors ?? { local: ['0.0.0.0/0'], remote: ['0.0.0.0/0'] };
  const kilobytes = BigInt(offer.childLifetimeKilobytes) * 1024n;
  const dpd = offer.dpd ? `\n    dpd_delay = ${options.dpdDelaySeconds ?? 10}s` : '';
  return `connections {
  ${AZURE_PEER_CONNECTION} {
    version = ${offer.version}
    local_addrs = ${options.local.address}
    remote_addrs = ${options.remote.address}
    proposals = ${offer.ike.map(formatIke).join(',')}
    rekey_time = ${offer.ikeLifetimeSeconds}s
    # Azure does not support MOBIKE
    mobike = no${dpd}
    local {
      auth = psk
      id = ${options.local.id}
    }
    remote {
      auth = psk
      id = ${options.remote.id}
    }
    children {
      ${AZURE_PEER_CONNECTION} {
        local_ts = ${selectors.local.join(',')}
        remote_ts = ${selectors.remote.join(',')}
        esp_proposals = ${offer.esp.map(formatEsp).join(',')}
        rekey_time = ${offer.childLifetimeSeconds}s
        life_bytes = ${kilobytes}
        dpd_action = clear
      }
    }
  }
}
include /etc/swanctl/conf.d/*.conf
`;
}

/** The PSK, in a file of its own as the device keeps it. */
export const pskConf = (options: { local: Endpoint; remote: Endpoint; psk: string }) => `secrets {
  ike-azure {
    id-1 = ${options.local.id}
    id-2 = ${options.remote.id}
    secret = "${options.psk}"
  }
}
`;

/** A running peer: its charon, and the tree its configuration was loaded from. */
export interface AzurePeer {
  charon: Charon;
  tree: string;
}

/** Starts the peer's charon in `ns` and loads its configuration. */
export async function startAzurePeer(t: Teardown, options: AzurePeerOptions & { ns: string; dir: string }): Promise<AzurePeer> {
  const tree = join(options.dir, 'tree');
  await writeFiles(tree, { 'etc/swanctl/swanctl.conf': azurePeerConf(options), 'etc/swanctl/conf.d/psk.conf': pskConf(options) });
  const charon = await startCharon(t, { ns: options.ns, dir: join(options.dir, 'charon') });
  await loadSwanctlTree(charon, { tree });
  return { charon, tree };
}
