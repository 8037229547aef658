/**
 * How `mcdebian boot` runs a built image under QEMU (TCG: KVM may exist and still fail here).
 * qemu-armhf: Debian's u-boot-qemu finds boot.scr.uimg on a small "kernel slot" disk (its
 * default boot flow scans virtio disks), which loads kernel.uimg from the same disk and boots it
 * with the stock Linksys command line, as the router's U-Boot reads its NAND slot; the root
 * filesystem is usb.img on a USB stick behind qemu-xhci. x86-64: OVMF boots disk.img. Both boot
 * a copy-on-write overlay, so the artifacts stay as the manifest lists them.
 */
import type { Board } from '../board/board.js';
import type { StepCommand } from './core/step.js';
import { armMachineArgs } from './qemu.js';
import { ddArgs, PARTITION_START, sfdiskArgs, truncateArgs } from './usb-image.js';

/** Where the script loads the uImage: 32 MiB into RAM, clear of the kernel it unpacks at 0x40008000. */
export const UIMAGE_LOAD_ADDRESS = 0x4200_0000;
/** Highest address U-Boot may move the DTB and initramfs to: inside armmp's lowmem (no LPAE, 3G/1G split). */
const RELOCATE_BELOW = '0x60000000';
/** The kernel slot disk: a 64 MiB MBR disk with one FAT partition. */
const SLOT_DISK_BYTES = 64 * 1024 * 1024;

export const UBOOT_QEMU_ARM = '/usr/lib/u-boot/qemu_arm/u-boot.bin';
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** The U-Boot script: the stock command line, then the blob from the slot disk, then bootm. */
export function ubootBootScript(board: Board): string {
  if (!board.stockCommandLine) throw new Error(`${board.id} has no stock command line`);
  const address = `0x${UIMAGE_LOAD_ADDRESS.toString(16)}`;
  return [
    'echo McDebian: booting kernel.uimg from ${devtype} ${devnum}:${distro_bootpart} with the stock Linksys command line',
    `setenv bootargs '${board.stockCommandLine}'`,
    // u-boot-qemu's environment sets fdt_high/initrd_high to 0xffffffff (leave in place); in
    // place, the initramfs's last page shares a page with the DTB and the kernel drops the initramfs
    `setenv fdt_high ${RELOCATE_BELOW}`,
    `setenv initrd_high ${RELOCATE_BELOW}`,
    `load \${devtype} \${devnum}:\${distro_bootpart} ${address} kernel.uimg`,
    `bootm ${address}`,
    '',
  ].join('\n');
}

export function scriptImageArgs(source: string, output: string): string[] {
  return ['mkimage', '-A', 'arm', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'McDebian boot', '-d', source, output];
}

/** The kernel slot disk holding boot.scr.uimg and kernel.uimg, made without a mount. */
export function slotDiskCommands(options: { fat: string; disk: string; files: string[] }): StepCommand[] {
  return [
    { argv: ['mkfs.fat', '-C', '-n', 'KERNEL', options.fat, String((SLOT_DISK_BYTES - 2 * PARTITION_START) / 1024)] },
    { argv: ['mcopy', '-i', options.fat, ...options.files, '::/'] },
    { argv: truncateArgs(options.disk, SLOT_DISK_BYTES) },
    { argv: sfdiskArgs(options.disk), stdin: 'label: dos\nstart=2048, type=c\n' },
    { argv: ddArgs({ input: options.fat, output: options.disk, offset: PARTITION_START }) },
  ];
}

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

/** QEMU user networking with SSH and the extra ports forwarded to 127.0.0.1 only. */
function userNet(sshPort: number, forwards: readonly PortForward[] = []): string {
  const extra = forwards.map((f) => `,hostfwd=${f.protocol}:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
  return `user,id=net0,hostfwd=tcp:127.0.0.1:${sshPort}-:22${extra}`;
}

export function armBootArgs(options: { overlay: string; slotDisk: string; sshPort: number; forwards?: readonly PortForward[] }): string[] {
  return [
    'qemu-system-arm', ...armMachineArgs(), '-accel', 'tcg', '-nographic',
    '-bios', UBOOT_QEMU_ARM,
    '-netdev', userNet(options.sshPort, options.forwards), '-device', 'virtio-net-pci,netdev=net0',
    '-drive', `if=none,id=slot,format=raw,readonly=on,file=${options.slotDisk}`,
    '-device', 'virtio-blk-device,drive=slot',
    '-device', 'qemu-xhci,id=xhci',
    '-drive', `if=none,id=stick,format=qcow2,file=${options.overlay}`,
    '-device', 'usb-storage,bus=xhci.0,drive=stick',
  ];
}

export function x86BootArgs(options: { overlay: string; vars: string; sshPort: number; forwards?: readonly PortForward[] }): string[] {
  return [
    'qemu-system-x86_64', '-machine', 'q35', '-accel', 'tcg', '-m', '1024', '-smp', '2', '-nographic',
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${options.vars}`,
    '-drive', `if=virtio,format=qcow2,file=${options.overlay}`,
    '-netdev', userNet(options.sshPort, options.forwards), '-device', 'virtio-net-pci,netdev=net0',
  ];
}
