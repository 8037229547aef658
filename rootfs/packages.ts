/**
 * The package set every image starts from, per board. The network stack is systemd-networkd
 * (in Debian's systemd package): it configures DSA ports, the br0 bridge and DHCP on wan from
 * plain .network/.netdev files, with no extra daemon; ifupdown would need bridge-utils and a DHCP
 * client on top, and NetworkManager is too large for a router.
 */
import type { Board } from '../board/board.js';

/** What every McDebian image has. */
const COMMON = [
  'systemd',
  'systemd-sysv',
  'udev',
  'systemd-timesyncd', // the WRT boards have no RTC crystal [L-DTS rtc "No crystal"], so time comes from NTP
  'systemd-resolved', // /etc/resolv.conf from the DNS servers networkd learns
  'openssh-server',
  'openssh-client', // openssh-server pulls it in anyway; named so that callhome's need of it keeps the base's key
  'iproute2',
  'nftables',
  'kmod',
  'initramfs-tools',
  'zstd', // initramfs compression
  'ca-certificates',
  'apt',
];

/** Flash and U-Boot environment tools, on boards whose bootloader keeps an environment. */
const UBOOT_TOOLS = ['mtd-utils', 'libubootenv-tool', 'u-boot-tools'];

/** The base package set for a board, sorted, without duplicates. */
export function basePackages(board: Board, extra: readonly string[] = []): string[] {
  const packages = [...COMMON, board.kernel.package, ...extra];
  if (board.arch === 'armhf') packages.push(...UBOOT_TOOLS);
  // The x86 image boots through systemd-boot, copied into the ESP without running bootctl
  if (board.bootMethod === 'uefi') packages.push('systemd-boot-efi');
  return [...new Set(packages)].sort();
}
