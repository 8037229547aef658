/**
 * smpp-relay's systemd unit: the bundled relay under Debian's nodejs as its own system user,
 * in the shared sandbox, its kannel.conf (passwords inside) and TLS client key handed over by
 * LoadCredential, its message store in a state directory only it can write.
 */
import { SERVICE_SANDBOX } from '../hardening.js';
import { EXIT_CONFIG, EXIT_STORAGE } from '../runtime/service-main.js';

/** Where the bundled service goes in the image. */
export const APP_PATH = '/usr/lib/mcdebian/smpp-relay/main.mjs';
export const UNIT = 'mcdebian-smpp-relay.service';
export const SERVICE_USER = 'smpprelay';
/** Root's copy of the rendered kannel.conf (0600): the service gets it as a credential. */
export const CONF_SECRET = '/etc/mcdebian/secrets/smpp-relay/kannel.conf';
export const CLIENT_KEY_SECRET = '/etc/mcdebian/secrets/smpp-relay/client-certkey';

export function relayUnit(options: { clientCertKey: boolean; privilegedPort: boolean }): string {
  const key = options.clientCertKey ? `LoadCredential=client-certkey:${CLIENT_KEY_SECRET}\n` : '';
  const capabilities = options.privilegedPort
    ? 'AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n'
    : 'CapabilityBoundingSet=\n';
  return `[Unit]
Description=McDebian smpp-relay: SMPP relay with Kannel's sendsms API
# Not network-online.target: wanting it starts systemd-networkd-wait-online, which fails when the
# WAN has no link (or DHCP is slow) and so fails the boot's health check; the relay's links
# reconnect with back-off until the network is there
After=network.target

[Service]
Type=exec
User=${SERVICE_USER}
Group=${SERVICE_USER}
ExecStart=/usr/bin/node ${APP_PATH} serve --config %d/kannel.conf
LoadCredential=kannel.conf:${CONF_SECRET}
${key}# the message store: accepted messages survive a crash or a reboot here
StateDirectory=mcdebian-smpp-relay/messages
StateDirectoryMode=0700
${capabilities}Restart=always
RestartSec=2
# ${EXIT_CONFIG}: the config is wrong; ${EXIT_STORAGE}: the message store cannot be read, or its damaged
# lines cannot be set aside (the log says what to do); restarting will not fix either
RestartPreventExitStatus=${EXIT_CONFIG} ${EXIT_STORAGE}
# one relay per store: the journal takes no lock of its own
KillMode=control-group
TimeoutStopSec=20
${SERVICE_SANDBOX}
[Install]
WantedBy=multi-user.target
`;
}
