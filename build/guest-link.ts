/**
 * `mcdebian boot --link`: one more ethernet NIC in the guest, joined to another guest's by a
 * QEMU UDP tunnel on the host's loopback, so two guests share a wire that user-mode networking
 * cannot give (slirp carries no ESP and rewrites addresses).
 *
 * Why `-netdev dgram` (QEMU 7.2's UDP tunnel) and not `-netdev socket,listen=`/`connect=`: tried
 * with QEMU 7.2 on the build host, listen= does not block QEMU's start, but connect= to a port
 * nobody listens on yet starts QEMU anyway with a link that stays dead (no retry), and a
 * connected side never reconnects when the listening guest restarts. With dgram each guest
 * binds its own UDP port and sends every frame to the other's: nothing connects, so the two
 * guests start in any order, together, or one again later, and frames sent while the peer is
 * not up are simply lost, as on an unplugged cable.
 */

/** One extra NIC: frames leave from 127.0.0.1:localPort to 127.0.0.1:peerPort, and arrive on localPort. */
export interface GuestLink {
  /** The UDP port this guest's QEMU binds on 127.0.0.1. */
  localPort: number;
  /** The UDP port the other guest's QEMU binds, its `localPort`. */
  peerPort: number;
  /** The NIC's MAC address, lower-case, colon-separated. */
  mac: string;
}

/** The form --link takes, for usage errors and --help. */
export const LINK_FORM = 'udp:LOCALPORT:PEERPORT[,mac=52:54:00:XX:XX:XX]';

/**
 * 52:54:00 is QEMU's own prefix (locally administered, unicast); QEMU gives its NICs
 * 52:54:00:12:34:56 and up by default, so the fourth byte 0x4c ("L") keeps a link's MAC off
 * those, and the last two bytes are the local port: two guests (whose local ports differ) get
 * different MACs, and the same flags give the same MAC on every boot, for networkd to match.
 */
export function defaultLinkMac(localPort: number): string {
  return ['52', '54', '00', '4c', (localPort >> 8).toString(16), (localPort & 0xff).toString(16)].map((byte) => byte.padStart(2, '0')).join(':');
}

/** Six hex bytes with colons, not a multicast address (the low bit of the first byte, IEEE 802). */
function isUnicastMac(text: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text) && (parseInt(text.slice(0, 2), 16) & 1) === 0;
}

/** `udp:40001:40002` or `udp:40001:40002,mac=52:54:00:00:00:01`; undefined when malformed. */
export function parseLink(text: string): GuestLink | undefined {
  const match = /^udp:(\d{1,5}):(\d{1,5})(?:,mac=([^,]*))?$/.exec(text);
  if (!match) return undefined;
  const [localPort, peerPort] = [Number(match[1]), Number(match[2])];
  if (![localPort, peerPort].every((port) => port >= 1 && port <= 65535) || localPort === peerPort) return undefined;
  const mac = match[3];
  if (mac !== undefined && !isUnicastMac(mac)) return undefined;
  return { localPort, peerPort, mac: mac?.toLowerCase() ?? defaultLinkMac(localPort) };
}

/** "link NIC 52:54:00:4c:9c:41: UDP 127.0.0.1:40001 <-> 127.0.0.1:40002", for what boot prints. */
export function describeLink(link: GuestLink): string {
  return `link NIC ${link.mac}: UDP 127.0.0.1:${link.localPort} <-> 127.0.0.1:${link.peerPort}`;
}

/**
 * QEMU's netdev and NIC for each link, virtio-net-pci as the first NIC on both machines
 * (x86-64's q35 and the armhf virt machine's PCIe host bridge), ids link0, link1, ... Placed
 * after every other device (boot.ts), the first link takes PCI slot 3 on both, and Debian
 * trixie's images named it enp0s3 on both (seen in a boot of each).
 */
export function linkArgs(links: readonly GuestLink[]): string[] {
  return links.flatMap((link, index) => [
    '-netdev', `dgram,id=link${index},local.type=inet,local.host=127.0.0.1,local.port=${link.localPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${link.peerPort}`,
    '-device', `virtio-net-pci,netdev=link${index},mac=${link.mac}`,
  ]);
}
