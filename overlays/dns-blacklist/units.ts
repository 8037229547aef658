/**
 * dns-blacklist's systemd units: the admin service (API and blocked page), hardened, with its
 * secrets and named's session key handed over by LoadCredential; and the first-boot unit that
 * replaces the rndc key the image was built with by one of the device's own.
 */

import { SERVICE_SANDBOX } from '../hardening.js';

/** Where the bundled service goes in the image. */
export const APP_PATH = '/usr/lib/mcdebian/dns-blacklist/main.mjs';

export const UNITS = { admin: 'mcdebian-dns-blacklist.service', bindKeys: 'mcdebian-bind-keys.service' } as const;

export function adminServiceUnit(options: { tls: boolean; secrets: string; config: string; user: string }): string {
  const tls = options.tls ? `LoadCredential=tls-key:${options.secrets}/tls-key\n` : '';
  return `[Unit]
Description=McDebian dns-blacklist: admin API and blocked-domain page
After=named.service
Requires=named.service
# named makes a new session key each time it starts: restart with it to read the new one
PartOf=named.service

[Service]
Type=exec
User=${options.user}
Group=${options.user}
ExecStart=/usr/bin/node ${APP_PATH} serve --config ${options.config}
LoadCredential=session-key:/run/named/session.key
LoadCredential=password-hash:${options.secrets}/password-hash
${tls}# port 80 for the blocked page, nothing else
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
Restart=always
RestartSec=2
# 78: the config is wrong; restarting will not fix it
RestartPreventExitStatus=78
${SERVICE_SANDBOX}
[Install]
WantedBy=multi-user.target
`;
}

/** bind9's postinst made /etc/bind/rndc.key while the image was built: every device would share it. */
export function bindKeysUnit(): string {
  return `[Unit]
Description=McDebian: give this device its own rndc key
Before=named.service
ConditionPathExists=!/var/lib/mcdebian/rndc-key-made

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'rm -f /etc/bind/rndc.key && rndc-confgen -a -A hmac-sha256 -c /etc/bind/rndc.key && chown root:bind /etc/bind/rndc.key && chmod 0640 /etc/bind/rndc.key'
ExecStart=/bin/sh -c 'mkdir -p /var/lib/mcdebian && touch /var/lib/mcdebian/rndc-key-made'

[Install]
WantedBy=multi-user.target
`;
}
