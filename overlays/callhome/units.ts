/**
 * callhome's systemd unit and system user: ssh as the unprivileged user callhome, in the shared
 * sandbox, the tunnel key (root's, 0600) handed over by LoadCredential, restarted forever.
 */
import { SERVICE_SANDBOX } from '../hardening.js';
import type { CallhomeConfig } from './schema.js';

export const UNIT = 'mcdebian-callhome.service';
/** The device's user the tunnel runs as. */
export const TUNNEL_USER = 'callhome';
export const SYSUSERS = `u ${TUNNEL_USER} - "McDebian callhome tunnel" /nonexistent /usr/sbin/nologin\n`;

const DIR = '/etc/mcdebian/callhome';
/** The ssh client config render.ts writes and the unit runs ssh with. */
export const SSH_CONFIG = `${DIR}/ssh_config`;
export const KNOWN_HOSTS = `${DIR}/known_hosts`;
export const PUBLIC_KEY = `${DIR}/tunnel-key.pub`;
/** The tunnel key, root's (0600): systemd hands the service a private copy. */
export const KEY = '/etc/mcdebian/secrets/callhome/tunnel-key';

/** `-R` as the client asks for it: ssh sends "localhost" as the listen host, which permitlisten must match. */
export const remoteForward = (config: CallhomeConfig) => `localhost:${config.remotePort}:localhost:${config.localPort}`;

export function renderUnit(config: CallhomeConfig): string {
  return `[Unit]
Description=McDebian callhome: reverse SSH tunnel to ${config.host}
Documentation=man:ssh(1) man:ssh_config(5)
After=network.target
# restart forever: no start-rate limit can leave the tunnel down
StartLimitIntervalSec=0

[Service]
Type=exec
User=${TUNNEL_USER}
Group=${TUNNEL_USER}
# the key stays root's (0600); systemd hands the service a private copy
LoadCredential=tunnel-key:${KEY}
ExecStart=/usr/bin/ssh -F ${SSH_CONFIG} -i %d/tunnel-key -N -T -R ${remoteForward(config)} callhome
Restart=always
RestartSec=${config.restartSec}
${SERVICE_SANDBOX}MemoryDenyWriteExecute=yes
SystemCallFilter=@system-service
CapabilityBoundingSet=

[Install]
WantedBy=multi-user.target
`;
}

