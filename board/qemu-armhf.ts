/**
 * QEMU `virt` (armhf): the router's stand-in that CI boots. Same kernel, same kind of multi-file
 * uImage, same stock Linksys command line, root on a USB stick behind xHCI; the differences are in
 * flash/README.md, "The QEMU stand-in". Its "NAND" is a virtio disk with caiman's u_env, s_env and
 * kernel slots, and a U-Boot script plays the stock bootcmd (flash/stand-in.ts), so the
 * A/B flashing flow runs end to end.
 */
import type { Board, NandFlash } from './board.js';
import { armada385Env128, armada385StockCommandLine, armada385Variables, nand128MiB } from './armada-385.js';
import { dualKernelSlots, sEnvBootCounter } from './linksys.js';
import { GiB } from './units.js';

/** The parts of caiman's NAND the A/B flow touches, at caiman's offsets; `u-boot` holds the stand-in's script. */
const STAND_IN_PARTITIONS = ['u-boot', 'u_env', 's_env', 'kernel1', 'kernel2'];

const flashStandIn: NandFlash = {
  ...nand128MiB,
  partitions: nand128MiB.partitions
    .filter((partition) => STAND_IN_PARTITIONS.includes(partition.name))
    .map(({ contains: _rootfs, ...partition }) => partition),
};

export const qemuArmhf: Board = {
  id: 'qemu-armhf',
  name: 'QEMU virt (armhf), the router stand-in',
  codename: 'virt',
  compatible: 'linux,dummy-virt', // QEMU's hw/arm/virt.c root node
  soc: 'QEMU virt, Cortex-A15 under TCG',
  ram: 1 * GiB, // what `mcdebian boot` gives the guest
  arch: 'armhf',
  kernel: { package: 'linux-image-armmp', flavour: 'armmp' },
  // u-boot-qemu has no ATAG support, so the DTB is the uImage's third part; QEMU writes it with
  // `-M virt,highmem=off,dumpdtb=FILE` (flash/README.md, "The QEMU stand-in")
  dtb: { file: 'qemu-virt.dtb', source: 'qemu-dumpdtb', placement: 'uimage-part' },
  uimage: { loadAddress: 0x4000_8000, entryAddress: 0x4000_8000 }, // virt RAM starts at 0x40000000
  bootMethod: 'qemu-uimage',
  flashStandIn,
  ubootEnv: armada385Env128, // caiman's geometry and camelCase names
  kernelSlots: dualKernelSlots(armada385Variables),
  // caiman's stock 6 MiB: the stand-in's blob (with its initramfs) is larger, so every flash
  // exercises raising priKernSize/altKernSize
  kernelReadWindow: { bytes: 0x60_0000, confirmed: true },
  bootCounter: sEnvBootCounter,
  // caiman's stock command line with the console QEMU's PL011 has, so the root override is exercised
  stockCommandLine: armada385StockCommandLine.replace('console=ttyS0,', 'console=ttyAMA0,'),
  console: { device: 'ttyAMA0', baud: 115200 }, // PL011
  // QEMU's user network answers TFTP to its gateway 10.0.2.2 itself ("Access violation" without
  // -netdev tftp=), so U-Boot sends to 127.0.0.1 through that gateway and QEMU relays the UDP to
  // the host's own 127.0.0.1:69 (seen with QEMU 7.2, libslirp 4.7, u-boot-qemu 2023.01)
  ubootConsole: {
    prompt: '=> ',
    dialect: 'qemu-stand-in',
    network: { ipaddr: '10.0.2.15', netmask: '255.255.255.0', gatewayip: '10.0.2.2', serverip: '127.0.0.1' },
  },
  // qemu-xhci + usb-storage for the root (flash/README.md, "The QEMU stand-in"); virtio for the
  // flash stand-in, so that it is there before the boot health check resets the counter (udev
  // loads it only late in the boot otherwise)
  rootModules: ['xhci-pci', 'usb-storage', 'uas', 'sd_mod', 'ext4', 'virtio_mmio', 'virtio_blk'],
  network: { kind: 'single' },
  unverified: ['everything about the stock Marvell U-Boot, the NAND, the switch and Wi-Fi'],
};
