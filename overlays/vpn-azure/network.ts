/**
 * Route-based tunnels on the device: an XFRM interface per Azure gateway, made by
 * systemd-networkd (systemd.netdev(5), [Xfrm] InterfaceId= and Independent=, as the base image's
 * other links are), and the routes to the VNet through it, added by strongSwan's updown hook
 * while the tunnel's CHILD_SA is up and removed when it goes down. With two gateways both
 * tunnels carry routes, the first's with the lower metric: when it goes down its routes go with
 * it and the second's take over.
 */
import type { LayerFile } from '../../rootfs/configure.js';
import { UPDOWN_SCRIPT } from './swanctl.js';
import type { Tunnel } from './tunnels.js';

/** One line per route-based child: CHILD INTERFACE METRIC SRC|- PREFIX..., read by the updown script. */
export const ROUTES_FILE = '/etc/mcdebian/vpn-azure/routes';
/** Azure's advice for tunnels that cannot clamp: an MTU of 1400 (the clamp is in firewall.ts). */
export const TUNNEL_MTU = 1400;

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });

/** The updown hook: strongSwan's updown plugin runs it with PLUTO_VERB and PLUTO_CONNECTION (the child) set. */
const UPDOWN = `#!/bin/sh
# McDebian vpn-azure: routes to the Azure VNet through the tunnel's XFRM interface while its
# CHILD_SA is up. strongSwan's updown plugin runs this with PLUTO_VERB (up-client, down-client ...)
# and PLUTO_CONNECTION (the child's name); charon installs no routes for children with an if_id.
set -u
line=$(grep "^\${PLUTO_CONNECTION:-} " ${ROUTES_FILE}) || exit 0
# shellcheck disable=SC2086 # the line is word-split on purpose
set -- $line
interface=$2 metric=$3 src=$4
shift 4
say() { logger -t vpn-azure-updown "$*" 2>/dev/null || echo "$*" >&2; }
case "\${PLUTO_VERB:-}" in
  up-client|up-host)
    for prefix; do
      if [ "$src" = - ]; then ip route replace "$prefix" dev "$interface" metric "$metric"
      else ip route replace "$prefix" dev "$interface" metric "$metric" src "$src"
      fi || say "cannot route $prefix through $interface"
    done
    say "\${PLUTO_CONNECTION} up: $* through $interface (metric $metric)" ;;
  down-client|down-host)
    for prefix; do ip route del "$prefix" dev "$interface" metric "$metric" 2>/dev/null || true; done
    say "\${PLUTO_CONNECTION} down: routes through $interface removed" ;;
esac
exit 0
`;

/** The routes file: the source address is the router's own in a local subnet, so that its own traffic to the VNet is inside the selectors. */
export function renderRoutes(tunnels: readonly Tunnel[], source: string | undefined): string {
  const lines = tunnels.flatMap((tunnel) => (tunnel.xfrm
    ? tunnel.children.map((child) => [child.name, tunnel.xfrm!.interface, tunnel.xfrm!.metric, source ?? '-', ...tunnel.remoteSubnets].join(' '))
    : []));
  return `${lines.join('\n')}\n`;
}

/** networkd's netdev and network files for each tunnel's XFRM interface. */
function interfaceFiles(tunnel: Tunnel): LayerFile[] {
  const xfrm = tunnel.xfrm!;
  const dir = '/etc/systemd/network';
  return [
    file(`${dir}/60-${xfrm.interface}.netdev`, `# McDebian vpn-azure: tunnel ${tunnel.name} to ${tunnel.gateway}\n[NetDev]\nName=${xfrm.interface}\nKind=xfrm\n\n[Xfrm]\nInterfaceId=${xfrm.ifId}\n# not bound to one underlying link: the tunnel follows whichever route reaches the gateway\nIndependent=yes\n`),
    file(`${dir}/60-${xfrm.interface}.network`, `[Match]\nName=${xfrm.interface}\n\n[Link]\nMTUBytes=${TUNNEL_MTU}\n\n[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nConfigureWithoutCarrier=yes\n`),
  ];
}

/** The layer files of route-based tunnels (none for policy-based ones: charon routes those itself). */
export function renderRouteBased(tunnels: readonly Tunnel[], source: string | undefined): LayerFile[] {
  const routed = tunnels.filter((tunnel) => tunnel.xfrm);
  if (routed.length === 0) return [];
  return [
    ...routed.flatMap(interfaceFiles),
    file(ROUTES_FILE, renderRoutes(routed, source)),
    file(UPDOWN_SCRIPT, UPDOWN, 0o755),
  ];
}
