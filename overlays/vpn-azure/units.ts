/**
 * vpn-azure's systemd side: strongSwan's charon-systemd unit as the image needs it, the firewall
 * table's unit, charon's retransmission settings, and the boot health check's part.
 */
import { TABLE } from './firewall.js';
import type { Tunnel } from './tunnels.js';

export const FIREWALL_UNIT = 'mcdebian-vpn-azure-firewall.service';
export const FIREWALL_FILE = '/etc/mcdebian/vpn-azure/firewall.nft';
/** Debian's charon-systemd unit name (package charon-systemd). */
export const STRONGSWAN_UNIT = 'strongswan.service';
/** Where the bundled status tool goes in the image, and its command. */
export const APP_PATH = '/usr/lib/mcdebian/vpn-azure/main.mjs';

/** The device's command: the bundled tool under Debian's nodejs (status needs root: swanctl, the journal). */
export function commandWrapper(): string {
  return `#!/bin/sh
# McDebian vpn-azure on the device: mcdebian-vpn-azure status [--json]
exec /usr/bin/node ${APP_PATH} "$@"
`;
}

/**
 * Debian's strongswan.service, replaced as a whole (a drop-in cannot take a Wants= back):
 * Debian's wants network-online.target, which starts systemd-networkd-wait-online; that fails
 * when the WAN has no link yet and so fails the boot's health check, and the router would fall
 * back to its other slot for want of a cable. charon needs no online network: it retries the
 * gateway for ever (keyingtries = 0).
 */
export function strongswanUnit(): string {
  return `[Unit]
Description=strongSwan IPsec IKEv1/IKEv2 daemon using swanctl (McDebian vpn-azure)
Documentation=man:charon-systemd(8) man:swanctl.conf(5)
After=network.target systemd-networkd.service ${FIREWALL_UNIT}
Wants=${FIREWALL_UNIT}

[Service]
Type=notify
ExecStart=/usr/sbin/charon-systemd
# the configuration was loaded by strongSwan's parser when the image was built: a syntax error
# here would make swanctl unload every connection and still exit 0
ExecStartPost=/usr/sbin/swanctl --load-all --noprompt
ExecReload=/usr/sbin/swanctl --reload
ExecReload=/usr/sbin/swanctl --load-all --noprompt
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
Alias=strongswan-swanctl.service
`;
}

/** Loads the table before charon starts and before any link is up; removes it when stopped. */
export function firewallUnit(): string {
  return `[Unit]
Description=McDebian vpn-azure: IKE and ESP from the Azure gateways only, forwarding for the tunnels' subnets
Before=network-pre.target ${STRONGSWAN_UNIT}
Wants=network-pre.target
DefaultDependencies=no
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f ${FIREWALL_FILE}
ExecStop=/usr/sbin/nft delete table inet ${TABLE}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * How long charon waits for an answer before it gives up on the gateway: about the Azure
 * connection's DPD timeout (the shortest of them), in four sends with strongSwan's back-off
 * (strongswan.conf(5), retransmit_timeout * retransmit_base^n for n = 0..retransmit_tries).
 */
export function renderCharonSettings(tunnels: readonly Tunnel[]): string {
  const timeouts = tunnels.filter((tunnel) => tunnel.offer.dpd).map((tunnel) => tunnel.dpdTimeoutSeconds);
  const deadline = timeouts.length > 0 ? Math.min(...timeouts) : 45;
  const base = 1.8;
  const tries = 3;
  const factor = Array.from({ length: tries + 1 }, (_, n) => base ** n).reduce((sum, value) => sum + value, 0);
  const timeout = Math.max(1, Math.round((deadline / factor) * 10) / 10);
  return `# McDebian vpn-azure: a gateway that stops answering is given up after about ${deadline} s
# (${tries + 1} sends, ${timeout} s apart growing by ${base}x), then found again (keyingtries = 0)
charon {
  retransmit_tries = ${tries}
  retransmit_timeout = ${timeout}
  retransmit_base = ${base}
}
`;
}

/**
 * The boot health check's part: charon running with every tunnel's configuration loaded. The
 * tunnels' state does not count: Azure being down (or the WAN) must never roll the router back
 * to its other slot.
 */
export function healthCheck(tunnels: readonly Tunnel[]): string {
  return `#!/bin/sh
# McDebian vpn-azure: healthy when charon runs with every connection loaded (not when the tunnels
# are up: an Azure outage must not make the router fall back to its other slot)
systemctl is-active --quiet ${STRONGSWAN_UNIT} || { echo "${STRONGSWAN_UNIT} is not active"; exit 1; }
loaded=$(swanctl --list-conns --raw 2>&1) || { echo "swanctl cannot reach charon: $loaded"; exit 1; }
for connection in ${tunnels.map((tunnel) => tunnel.name).join(' ')}; do
  case "$loaded" in
    *"$connection {"*) ;;
    *) echo "charon has no connection $connection loaded"; exit 1 ;;
  esac
done
`;
}
