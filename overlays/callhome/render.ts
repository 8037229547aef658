/**
 * callhome's files: the ssh client config and pinned known_hosts, the tunnel key as a secret
 * handed to the service by systemd (LoadCredential), the hardened unit, the system user; and for
 * the managed host, the restricted authorized_keys line and the sshd_config lines.
 */
import type { LayerFile } from '../../rootfs/configure.js';
import { SERVICE_SANDBOX } from '../hardening.js';
import { fileFor, secretFile, type OverlayContext, type OverlayRender, type ReadFile } from '../overlay.js';
import type { CallhomeConfig } from './overlay.js';
import { parseHostKeys, publicKeyOf } from './keys.js';

const DIR = '/etc/mcdebian/callhome';
const SSH_CONFIG = `${DIR}/ssh_config`;
const KNOWN_HOSTS = `${DIR}/known_hosts`;
const KEY = '/etc/mcdebian/secrets/callhome/tunnel-key';
export const UNIT = 'mcdebian-callhome.service';
/** The device's user the tunnel runs as. */
export const TUNNEL_USER = 'callhome';
/** The name the pinned key is filed under, whatever address or port the host has. */
const HOST_KEY_ALIAS = 'mcdebian-callhome';

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });

/** `-R` as the client asks for it: ssh sends "localhost" as the listen host, which permitlisten must match. */
export const remoteForward = (config: CallhomeConfig) => `localhost:${config.remotePort}:localhost:${config.localPort}`;

export function renderSshConfig(config: CallhomeConfig): string {
  return `# McDebian callhome: the tunnel to ${config.host}. Options: ssh_config(5).
Host callhome
    HostName ${config.host}
    Port ${config.port}
    User ${config.user}
    # the managed host's key is pinned: an unknown or changed key stops the tunnel
    HostKeyAlias ${HOST_KEY_ALIAS}
    StrictHostKeyChecking yes
    UserKnownHostsFile ${KNOWN_HOSTS}
    GlobalKnownHostsFile /dev/null
    CheckHostIP no
    UpdateHostKeys no
    BatchMode yes
    IdentitiesOnly yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    # a dead path is noticed after ServerAliveInterval x ServerAliveCountMax seconds
    ServerAliveInterval ${config.serverAliveInterval}
    ServerAliveCountMax ${config.serverAliveCountMax}
    ConnectTimeout ${config.connectTimeout}
    # the remote port still held by a stale session is a failure: exit and let systemd retry
    ExitOnForwardFailure yes
    ControlMaster no
    ControlPath none
    ForwardAgent no
    ForwardX11 no
    RequestTTY no
    SessionType none
`;
}

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

/**
 * The managed host's authorized_keys line: nothing but a listener on this one port. The tunnel
 * opens no session (-N); a stolen key that asks for one gets /bin/false.
 */
export function authorizedKeysLine(config: CallhomeConfig, publicKey: string): string {
  return `restrict,port-forwarding,permitlisten="localhost:${config.remotePort}",command="/bin/false" ${publicKey}\n`;
}

/** The managed host's sshd_config lines: dead tunnels are reaped so their port comes free. */
export function managedSshdConfig(config: CallhomeConfig): string {
  return `# McDebian callhome: for /etc/ssh/sshd_config.d/ on ${config.host}
Match User ${config.user}
    ClientAliveInterval ${config.clientAliveInterval}
    ClientAliveCountMax ${config.clientAliveCountMax}
    AllowTcpForwarding remote
    AllowAgentForwarding no
    X11Forwarding no
    PermitTTY no
`;
}

function readme(config: CallhomeConfig, hostname: string): string {
  return `McDebian callhome: the managed host's side of ${hostname}'s tunnel

1. A user ${config.user} on ${config.host}, whose ~/.ssh/authorized_keys holds the line in
   authorized_keys here (it allows only a listener on localhost:${config.remotePort}).
2. sshd_config here copied to /etc/ssh/sshd_config.d/callhome.conf (it reaps a dead tunnel
   within ${config.clientAliveInterval * config.clientAliveCountMax} s so that its port comes free), then: sshd -t && systemctl reload ssh
3. Reach ${hostname} from ${config.host}: ssh -p ${config.remotePort} root@localhost
`;
}

export function renderCallhome(config: CallhomeConfig, files: readonly ReadFile[], context: OverlayContext): OverlayRender {
  const hostKey = fileFor(files, 'hostKey');
  const privateKey = fileFor(files, 'privateKey');
  const known = parseHostKeys(hostKey.content ?? '').map((key) => `${HOST_KEY_ALIAS} ${key.type} ${key.base64}\n`).join('');
  const comment = `mcdebian-callhome@${context.hostname}`;
  const publicKey = privateKey.content === undefined
    ? `(generated by mcdebian build at ${privateKey.path})`
    : (({ type, base64 }) => `${type} ${base64} ${comment}`)(publicKeyOf(privateKey.content));
  return {
    files: [
      file('/usr/lib/sysusers.d/mcdebian-callhome.conf', `u ${TUNNEL_USER} - "McDebian callhome tunnel" /nonexistent /usr/sbin/nologin\n`),
      file(SSH_CONFIG, renderSshConfig(config)),
      file(KNOWN_HOSTS, known),
      file(`${DIR}/tunnel-key.pub`, `${publicKey}\n`),
      secretFile(KEY, privateKey, 'callhome'),
      file(`/etc/systemd/system/${UNIT}`, renderUnit(config)),
    ],
    units: [UNIT],
    checks: [
      { description: 'ssh parses the tunnel\'s options', argv: ['ssh', '-G', '-F', SSH_CONFIG, '-T', '-N', '-R', remoteForward(config), 'callhome'] },
      { description: 'the pinned host keys parse', argv: ['ssh-keygen', '-l', '-f', KNOWN_HOSTS] },
      { description: 'the tunnel key needs no passphrase', argv: ['ssh-keygen', '-y', '-P', '', '-f', KEY] },
      { description: `the ${TUNNEL_USER} user exists`, argv: ['id', TUNNEL_USER] },
    ],
    outputs: [
      { path: 'tunnel-key.pub', content: `${publicKey}\n`, description: 'the tunnel\'s public key' },
      { path: 'authorized_keys', content: authorizedKeysLine(config, publicKey), description: `for ~${config.user}/.ssh/authorized_keys on ${config.host}` },
      { path: 'sshd_config', content: managedSshdConfig(config), description: `for /etc/ssh/sshd_config.d/ on ${config.host}` },
      { path: 'README', content: readme(config, context.hostname), description: 'how to set up the managed host' },
    ],
    notes: [`tunnel ${config.user}@${config.host}:${config.port}, -R ${remoteForward(config)}; host key pinned from ${hostKey.path}; key ${privateKey.path}${privateKey.generated || privateKey.content === undefined ? ' (generated)' : ''}`],
  };
}
