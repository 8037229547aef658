/**
 * QEMU `virt` (armhf): the router's stand-in that CI boots. Same kernel, same kind of multi-file
 * uImage, same stock Linksys command line, root on a USB stick behind xHCI; the differences are in
 * shared/reference/qemu-stand-in.md.
 */
import type { Board } from './board.js';
import { armada385StockCommandLine } from './armada-385.js';
import { GiB } from './units.js';

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
  // `-M virt,highmem=off,dumpdtb=FILE` [qemu-stand-in.md]
  dtb: { file: 'qemu-virt.dtb', source: 'qemu-dumpdtb', placement: 'uimage-part' },
  uimage: { loadAddress: 0x4000_8000, entryAddress: 0x4000_8000 }, // virt RAM starts at 0x40000000
  bootMethod: 'qemu-uimage',
  // caiman's stock command line with the console QEMU's PL011 has, so the root override is exercised
  stockCommandLine: armada385StockCommandLine.replace('console=ttyS0,', 'console=ttyAMA0,'),
  console: { device: 'ttyAMA0', baud: 115200 }, // PL011
  rootModules: ['xhci-pci', 'usb-storage', 'uas', 'sd_mod', 'ext4'], // qemu-xhci + usb-storage [qemu-stand-in.md]
  network: { kind: 'single' },
  unverified: ['everything about the stock Marvell U-Boot, the NAND, the switch and Wi-Fi'],
};
