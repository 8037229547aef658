/** Linksys WRT1900AC v1: mamba, Armada XP, 128 MiB NAND. Source keys: board/README.md. */
import type { Board, UBootVariables } from './board.js';
import { armUImage, dualKernelSlots, linksysUBootConsole, routerUnverified, sEnvBootCounter, stockSlotBootCommands, uart0 } from './linksys.js';
import { KiB, MiB } from './units.js';

/** Mamba's stock U-Boot uses lower_case names [McD#44; PR3852]. */
const mambaVariables: UBootVariables = {
  bootPart: 'boot_part',
  bootCmd: 'bootcmd',
  priKernSize: 'pri_kern_size',
  altKernSize: 'alt_kern_size',
  priKernAddr: 'pri_kern_addr',
  altKernAddr: 'alt_kern_addr',
  defaultLoadAddr: 'default_load_addr',
  autoRecovery: 'auto_recovery',
};

export const wrt1900acV1: Board = {
  id: 'wrt1900ac-v1',
  name: 'Linksys WRT1900AC v1',
  codename: 'mamba',
  compatible: 'linksys,mamba', // [L-DTS]
  soc: 'Marvell Armada XP MV78230', // [L-DTS]
  ram: 256 * MiB, // [L-DTS memory node]
  arch: 'armhf',
  kernel: { package: 'linux-image-armmp', flavour: 'armmp' },
  dtb: { file: 'armada-xp-linksys-mamba.dtb', source: 'debian-kernel', placement: 'appended' }, // 19,004 bytes [DEB-K]
  uimage: armUImage,
  bootMethod: 'nand-uimage',
  nand: {
    size: 128 * MiB, // S34ML01G1 [McD#44 boot log]
    pageSize: 2048, // [McD#44]
    eraseBlock: 128 * KiB, // [McD#44]
    partitions: [
      // [L-DTS armada-xp-linksys-mamba.dts; order confirmed by the McD#44 boot log]
      { name: 'u-boot', offset: 0x000_0000, size: 0x10_0000, readOnly: true },
      { name: 'u_env', offset: 0x10_0000, size: 0x4_0000, readOnly: false },
      { name: 's_env', offset: 0x14_0000, size: 0x4_0000, readOnly: false },
      { name: 'devinfo', offset: 0x90_0000, size: 0x10_0000, readOnly: true },
      { name: 'kernel1', offset: 0xa0_0000, size: 0x280_0000, readOnly: false, contains: ['rootfs1'] },
      { name: 'rootfs1', offset: 0xd0_0000, size: 0x250_0000, readOnly: false },
      { name: 'kernel2', offset: 0x320_0000, size: 0x280_0000, readOnly: false, contains: ['rootfs2'] },
      { name: 'rootfs2', offset: 0x350_0000, size: 0x250_0000, readOnly: false },
      { name: 'syscfg', offset: 0x5a0_0000, size: 0x260_0000, readOnly: false },
      { name: 'unused_area', offset: 0x18_0000, size: 0x78_0000, readOnly: false },
    ],
  },
  ubootEnv: {
    partition: 'u_env',
    offset: 0,
    size: 0x4_0000, // [OW-ENV `/dev/mtd1 0x0 0x40000 0x20000`; McD fw_env.config]
    sectorSize: 0x2_0000,
    variables: mambaVariables,
    slotBootCommands: stockSlotBootCommands,
  },
  kernelSlots: dualKernelSlots(mambaVariables), // roots as on the 385 boards: mamba's stock bootargs are unconfirmed
  kernelReadWindow: { bytes: 4 * MiB, confirmed: true }, // pri_kern_size=0x400000 [PR3852; McD#7 "size 0x400000"]
  bootCounter: sEnvBootCounter,
  // Mamba's stock mtdparts are unconfirmed; root=/dev/mtdblock5 as on the 385 boards [McD#76]
  stockCommandLine: 'console=ttyS0,115200 root=/dev/mtdblock5 ro rootdelay=1 rootfstype=jffs2 earlyprintk',
  console: uart0,
  ubootConsole: linksysUBootConsole,
  // The USB 3.0 port is an Etron EJ168 on PCIe (xhci-pci); the combo port is orion-EHCI + sata_mv [L-DTS]
  rootModules: ['xhci-pci', 'ehci-orion', 'sata_mv', 'usb-storage', 'uas', 'sd_mod', 'ext4'],
  // switch port 4 is labelled "internet" on mamba [L-DTS]
  network: { kind: 'router', lanPorts: ['lan1', 'lan2', 'lan3', 'lan4'], wanPort: 'internet' },
  unverified: [
    ...routerUnverified,
    'the stock mtdparts and bootargs',
    'the probe order of the SPI MRAM and the NAND (MTD numbers may shift: McDebian finds partitions by name)',
  ],
};
