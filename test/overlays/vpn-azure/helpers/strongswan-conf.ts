/**
 * strongswan.conf for one test charon: everything that is per instance lives in its own
 * directory (the vici socket, the log), so several charons run at once, one per namespace.
 * charon-systemd reads STRONGSWAN_CONF and falls back to the `charon` section for its settings
 * (strongswan.conf(5)); it writes no pid file, so two instances never clash on one.
 */
import { join } from 'node:path';

/**
 * The plugins, loaded by name (load_modular) rather than by Debian's /etc/strongswan.d, which
 * would also load libcharon-extra-plugins' forecast, farp and ha, which join multicast groups and
 * answer ARP. A higher `load` is loaded first:
 * - kernel-libipsec (2): its kernel-ipsec interface registers before kernel-netlink's, and the
 *   first one registered is charon's (libcharon/kernel/kernel_interface.c); it does ESP in user
 *   space over its TUN device ipsec0, since the host kernel may have no ESP and no XFRM interfaces.
 * - kernel-netlink: still the kernel-net interface (addresses, and the routes through ipsec0 in
 *   table 220 that kernel-libipsec asks for).
 * - random, nonce: keys and IKE nonces. aes, sha1, sha2, hmac, gcm, openssl: Azure's ciphers and
 *   groups (openssl has the ECP and MODP groups and 3DES). kdf: 5.9.8's IKE key derivation.
 * - socket-default: the IKE sockets (UDP 500 and 4500). vici: swanctl's socket.
 */
const PLUGINS: Record<string, number> = {
  'kernel-libipsec': 2, 'kernel-netlink': 1, random: 1, nonce: 1, aes: 1, sha1: 1, sha2: 1, hmac: 1, gcm: 1, openssl: 1, kdf: 1,
  'socket-default': 1, vici: 1,
};

/** Where an instance keeps its files. */
export interface InstancePaths {
  conf: string;
  log: string;
  socket: string;
}

export const instancePaths = (dir: string): InstancePaths => ({
  conf: join(dir, 'strongswan.conf'), log: join(dir, 'charon.log'), socket: join(dir, 'charon.vici'),
});

/**
 * The strongswan.conf text of the instance whose files are in `dir`, with `settings` appended:
 * sections of the same name merge (strongswan.conf(5)), as Debian's strongswan.d files do.
 */
export function strongswanConf(dir: string, settings = ''): string {
  const paths = instancePaths(dir);
  const plugins = Object.entries(PLUGINS).map(([name, priority]) => `    ${name} {\n      load = ${priority}\n    }`);
  return `charon {
  load_modular = yes
  plugins {
${plugins.join('\n')}
    vici {
      socket = unix://${paths.socket}
    }
  }
  filelog {
    test {
      path = ${paths.log}
      time_format = %T
      default = 1
      cfg = 2
      knl = 2
      flush_line = yes
    }
  }
}
charon-systemd {
  # the journal is the host's: the test reads the file log instead
  journal {
    default = -1
  }
}
swanctl {
  socket = unix://${paths.socket}
  # swanctl's own plugins; its defaults name some Debian does not build, each a warning
  load = random openssl pem pkcs1 x509 pubkey
}
${settings}`;
}
