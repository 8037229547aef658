/**
 * The tunnels as swanctl.conf(5) sections: one IKE connection per Azure gateway with its
 * children, Azure's lifetimes and DPD, and the shared keys in a secrets section of their own
 * (a 0600 file beside it). charon-systemd reads them through swanctl over vici; the deprecated
 * ipsec.conf/stroke path is not used.
 */
import type { Tunnel } from './tunnels.js';

/** The script strongSwan's updown plugin runs when a route-based child comes up or goes down. */
export const UPDOWN_SCRIPT = '/usr/libexec/mcdebian/vpn-azure-updown';

/**
 * We rekey first, and our SAs never outlive Azure's: rekeying starts at 90 % of Azure's lifetime
 * (less strongSwan's random jitter), and the hard limit (rekey plus over_time) is Azure's own.
 */
const REKEY_SHARE = 0.9;

const seconds = (value: number) => `${Math.round(value)}s`;

/**
 * DPD every third of Azure's DPD timeout: Azure takes the tunnel down after that long without a
 * sign of life (ipsec-ike-policy-howto, "DPD timeout"), so an idle tunnel must speak first.
 * 0 (none) where Azure does not answer DPD (a Basic PolicyBased gateway).
 */
export const dpdDelaySeconds = (tunnel: Tunnel) => (tunnel.offer.dpd ? Math.max(3, Math.floor(tunnel.dpdTimeoutSeconds / 3)) : 0);

function ikeLifetimes(tunnel: Tunnel): string[] {
  const rekey = tunnel.offer.ikeLifetimeSeconds * REKEY_SHARE;
  const over = tunnel.offer.ikeLifetimeSeconds - rekey;
  // IKEv1 cannot rekey an IKE SA in place; strongSwan reauthenticates it instead (swanctl.conf(5), reauth_time)
  const key = tunnel.version === 1 ? 'reauth_time' : 'rekey_time';
  return [`${key} = ${seconds(rekey)}`, `over_time = ${seconds(over)}`];
}

function childLifetimes(tunnel: Tunnel): string[] {
  const bytes = tunnel.offer.childLifetimeKilobytes * 1024;
  return [
    `rekey_time = ${seconds(tunnel.offer.childLifetimeSeconds * REKEY_SHARE)}`,
    `life_time = ${seconds(tunnel.offer.childLifetimeSeconds)}`,
    `rekey_bytes = ${Math.round(bytes * REKEY_SHARE)}`,
    `life_bytes = ${bytes}`,
  ];
}

const indent = (lines: readonly string[], depth: number) => lines.map((line) => `${'  '.repeat(depth)}${line}`);

function childSection(tunnel: Tunnel, child: Tunnel['children'][number]): string[] {
  const body = [
    `local_ts = ${child.localTs.join(',')}`,
    `remote_ts = ${child.remoteTs.join(',')}`,
    `esp_proposals = ${tunnel.espProposals.join(',')}`,
    ...childLifetimes(tunnel),
    // up at boot and after any loss: DPD finding the gateway gone, or the gateway closing the SA
    'start_action = start',
    'dpd_action = restart',
    'close_action = start',
  ];
  if (tunnel.xfrm) {
    // the XFRM interface carries the traffic; charon installs no routes for such children, so
    // the updown script adds the VNet's routes through the interface while the child is up
    body.push(`if_id_in = ${tunnel.xfrm.ifId}`, `if_id_out = ${tunnel.xfrm.ifId}`, `updown = ${UPDOWN_SCRIPT}`);
  }
  return [`${child.name} {`, ...indent(body, 1), '}'];
}

function connectionSection(tunnel: Tunnel): string[] {
  const body = [
    `version = ${tunnel.version}`,
    `remote_addrs = ${tunnel.gateway}`,
    `proposals = ${tunnel.ikeProposals.join(',')}`,
    ...ikeLifetimes(tunnel),
    `dpd_delay = ${dpdDelaySeconds(tunnel)}s`,
    // try for ever: a gateway that is down at boot or for hours must be found again by itself
    'keyingtries = 0',
    // Azure's gateways do not do MOBIKE
    'mobike = no',
    `local {`, ...indent(['auth = psk', `id = ${tunnel.localId}`], 1), '}',
    `remote {`, ...indent(['auth = psk', `id = ${tunnel.remoteId}`], 1), '}',
    'children {', ...indent(tunnel.children.flatMap((child) => childSection(tunnel, child)), 1), '}',
  ];
  return [`${tunnel.name} {`, ...indent(body, 1), '}'];
}

/** swanctl.conf's `connections` section for the tunnels. */
export function renderConnections(tunnels: readonly Tunnel[]): string {
  const lines = ['# McDebian vpn-azure: one IKE connection per Azure gateway (mcdebian.yaml overlays.vpn-azure)', 'connections {', ...indent(tunnels.flatMap(connectionSection), 1), '}'];
  return `${lines.join('\n')}\n`;
}

/**
 * swanctl.conf's `secrets` section: one shared key per tunnel, bound to both ids. The key is
 * written Base64-encoded (the `0s` prefix of swanctl.conf(5)), so no character of it can end the
 * string or the section.
 */
export function renderSecrets(tunnels: readonly Tunnel[], keys: ReadonlyMap<string, string>): string {
  const sections = tunnels.flatMap((tunnel) => {
    const key = keys.get(tunnel.connection);
    if (key === undefined) throw new Error(`no shared key was read for connection ${tunnel.connection}`);
    return [`ike-${tunnel.name} {`, ...indent([`id-1 = ${tunnel.localId}`, `id-2 = ${tunnel.remoteId}`, `secret = 0s${Buffer.from(key).toString('base64')}`], 1), '}'];
  });
  return `${['# McDebian vpn-azure: the connections\' shared keys (0600)', 'secrets {', ...indent(sections, 1), '}'].join('\n')}\n`;
}
