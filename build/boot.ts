/**
 * How `mcdebian boot` runs a built image under QEMU (TCG: KVM may exist and still fail here).
 * qemu-armhf: the flash stand-in disk (flash/stand-in.ts) holds u_env, s_env and the two
 * kernel slots, and a script u-boot-qemu finds on it boots the slot boot_part names, as the
 * router's stock U-Boot does; the root filesystem is usb.img on a USB stick behind qemu-xhci.
 * x86-64: OVMF boots disk.img. Both boot a copy-on-write overlay, so the artifacts stay as the
 * manifest lists them.
 */
import { linkArgs, type GuestLink } from './guest-link.js';
import { consoleArgs, type ConsoleOptions } from './qemu-console.js';
import { ARM_ACCEL, armMachineArgs, X86_ACCEL } from './qemu.js';

export const UBOOT_QEMU_ARM = '/usr/lib/u-boot/qemu_arm/u-boot.bin';
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** A qcow2 overlay over a raw image: the guest writes there, the image stays untouched. */
export function overlayArgs(image: string, overlay: string): string[] {
  return ['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', image, '-F', 'raw', overlay];
}

/** A port of the guest forwarded to the host's loopback. */
export interface PortForward {
  protocol: 'tcp' | 'udp';
  hostPort: number;
  guestPort: number;
}

/** `tcp:8053:8053` or `udp:5353:53` (host port, then guest port); undefined when malformed. */
export function parseForward(text: string): PortForward | undefined {
  const match = /^(tcp|udp):(\d{1,5}):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const [hostPort, guestPort] = [Number(match[2]), Number(match[3])];
  if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) return undefined;
  return { protocol: match[1] as PortForward['protocol'], hostPort, guestPort };
}

/** `tcp:18053:8053`, as --forward takes it. */
export function formatForward(forward: PortForward): string {
  return `${forward.protocol}:${forward.hostPort}:${forward.guestPort}`;
}

/** QEMU user networking with SSH and the extra ports forwarded to 127.0.0.1 only. */
function userNet(sshPort: number, forwards: readonly PortForward[] = []): string {
  const extra = forwards.map((f) => `,hostfwd=${f.protocol}:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
  return `user,id=net0,hostfwd=tcp:127.0.0.1:${sshPort}-:22${extra}`;
}

/** What both machines take: the network, and where the console and the monitor go. */
interface GuestOptions {
  overlay: string;
  sshPort: number;
  forwards?: readonly PortForward[];
  /** More NICs, each on a UDP tunnel to another guest (guest-link.ts); after every other device, so theirs keep their PCI slots. */
  links?: readonly GuestLink[];
  /** The console and the monitor: on this terminal by default (see qemu-console.ts). */
  console?: ConsoleOptions;
}

export function armBootArgs(options: GuestOptions & { flashDisk: string }): string[] {
  return [
    'qemu-system-arm', ...armMachineArgs(), ...ARM_ACCEL,
    '-bios', UBOOT_QEMU_ARM,
    '-netdev', userNet(options.sshPort, options.forwards), '-device', 'virtio-net-pci,netdev=net0',
    // the flash stand-in: u_env, s_env and the kernel slots, written by U-Boot and by Linux
    '-drive', `if=none,id=flash,format=raw,file=${options.flashDisk}`,
    '-device', 'virtio-blk-device,drive=flash',
    '-device', 'qemu-xhci,id=xhci',
    '-drive', `if=none,id=stick,format=qcow2,file=${options.overlay}`,
    '-device', 'usb-storage,bus=xhci.0,drive=stick',
    ...linkArgs(options.links ?? []),
    ...consoleArgs(options.console ?? { mode: 'terminal' }),
  ];
}

export function x86BootArgs(options: GuestOptions & { vars: string }): string[] {
  return [
    'qemu-system-x86_64', '-machine', 'q35', ...X86_ACCEL, '-m', '1024', '-smp', '2',
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${options.vars}`,
    '-drive', `if=virtio,format=qcow2,file=${options.overlay}`,
    '-netdev', userNet(options.sshPort, options.forwards), '-device', 'virtio-net-pci,netdev=net0',
    ...linkArgs(options.links ?? []),
    ...consoleArgs(options.console ?? { mode: 'terminal' }),
  ];
}
