/**
 * Starting again the tunnels charon has given up on. `keyingtries = 0` retries a gateway that
 * does not answer for ever, but keyingtries count only retransmission timeouts (strongSwan's
 * src/libcharon/sa/ike_sa.c, retransmit()): a gateway that answers the IKE_SA_INIT with an
 * error notify (NO_PROPOSAL_CHOSEN from a strongSwan whose charon listens before swanctl has
 * loaded its connections, as after a restart; AUTHENTICATION_FAILED while a key is being
 * changed on both sides) ends the attempt for good, and nothing would try again until the next
 * boot. A timer looks once a minute and initiates every child of a connection that has no IKE SA
 * at all: one that is up or still trying (CONNECTING) is left alone.
 */
import type { Tunnel } from './tunnels.js';

export const REDIAL_SCRIPT = '/usr/libexec/mcdebian/vpn-azure-redial';
export const REDIAL_SERVICE = 'mcdebian-vpn-azure-redial.service';
export const REDIAL_TIMER = 'mcdebian-vpn-azure-redial.timer';

/** The script: one line per connection, its IKE name then its children's names. */
export function redialScript(tunnels: readonly Tunnel[]): string {
  const lines = tunnels.map((tunnel) => `${tunnel.name} ${tunnel.children.map((child) => child.name).join(' ')}`);
  return `#!/bin/sh
# McDebian vpn-azure: initiates again every connection charon has no IKE SA for (it gave up
# after the gateway answered with an error); those up or still trying are left alone.
set -u
# charon not running: its own unit restarts it, and start_action starts the tunnels
sas=$(swanctl --list-sas --noblock 2>/dev/null) || exit 0
while read -r ike children; do
  # swanctl --list-sas starts each IKE SA's block with "NAME: #ID, STATE, ..." at the line's
  # start (its children are indented); names are letters, digits and - (schema.ts)
  if printf '%s\n' "$sas" | grep -q "^$ike: #"; then continue; fi
  echo "$ike has no IKE SA (charon gave up on it); initiating it again"
  for child in $children; do
    # --timeout: swanctl detaches after a second and charon goes on (retransmitting for ever)
    swanctl --initiate --ike "$ike" --child "$child" --timeout 1 >/dev/null 2>&1 || true
  done
done <<'CONNECTIONS'
${lines.join('\n')}
CONNECTIONS
`;
}

export function redialService(strongswanUnit: string): string {
  return `[Unit]
Description=McDebian vpn-azure: initiate again the tunnels charon gave up on
After=${strongswanUnit}

[Service]
Type=oneshot
ExecStart=${REDIAL_SCRIPT}
# once a minute on a router that logs to flash: only what the script says (at notice), not the
# manager's Starting/Finished/Consumed lines for every run (info)
SyslogLevel=notice
LogLevelMax=notice
`;
}

export function redialTimer(): string {
  return `[Unit]
Description=McDebian vpn-azure: look for tunnels charon gave up on, once a minute

[Timer]
OnBootSec=2min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
`;
}
