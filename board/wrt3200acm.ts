/** Linksys WRT3200ACM: rango, Armada 385, 256 MiB NAND. Source keys: board/README.md. */
import type { Board } from './board.js';
import { armada385Network, armada385RootModules, armada385Variables } from './armada-385.js';
import { armUImage, dualKernelSlots, linksysUBootConsole, routerUnverified, sEnvBootCounter, stockSlotBootCommands, uart0 } from './linksys.js';
import { KiB, MiB } from './units.js';

export const wrt3200acm: Board = {
  id: 'wrt3200acm',
  name: 'Linksys WRT3200ACM',
  codename: 'rango',
  compatible: 'linksys,rango', // [L-DTS]
  soc: 'Marvell Armada 385',
  ram: 512 * MiB, // [L-DTS dtsi memory node]
  arch: 'armhf',
  kernel: { package: 'linux-image-armmp', flavour: 'armmp' },
  dtb: { file: 'armada-385-linksys-rango.dtb', source: 'debian-kernel', placement: 'appended' }, // 20,296 bytes [DEB-K]
  uimage: armUImage,
  bootMethod: 'nand-uimage',
  nand: {
    size: 256 * MiB, // S34ML02G2 or W29N02GV [L-DTS comment; VC README]
    pageSize: 2048,
    eraseBlock: 128 * KiB, // [OW-A9 NAND-128K applies to all Linksys]
    partitions: [
      // "AMD/Spansion S34ML02G2 256MiB, OEM Layout" [L-DTS armada-385-linksys-rango.dts]
      { name: 'u-boot', offset: 0x000_0000, size: 0x20_0000, readOnly: true },
      { name: 'u_env', offset: 0x20_0000, size: 0x2_0000, readOnly: false },
      { name: 's_env', offset: 0x22_0000, size: 0x4_0000, readOnly: false },
      { name: 'devinfo', offset: 0x7e_0000, size: 0x4_0000, readOnly: true },
      { name: 'sysdiag', offset: 0x82_0000, size: 0x1e_0000, readOnly: true },
      { name: 'kernel1', offset: 0xa0_0000, size: 0x500_0000, readOnly: false, contains: ['rootfs1'] },
      { name: 'rootfs1', offset: 0x100_0000, size: 0x4a0_0000, readOnly: false },
      { name: 'kernel2', offset: 0x5a0_0000, size: 0x500_0000, readOnly: false, contains: ['rootfs2'] },
      { name: 'rootfs2', offset: 0x600_0000, size: 0x4a0_0000, readOnly: false },
      // "last MiB is for the BBT, not writable"
      { name: 'syscfg', offset: 0xaa0_0000, size: 0x560_0000, readOnly: false },
      // The DTS comment calls it the area "between s_env and devinfo", but its reg
      // <0x260000 0x5c0000> ends at 0x820000 and so covers devinfo: kept exactly as the kernel has it.
      { name: 'unused_area', offset: 0x26_0000, size: 0x5c_0000, readOnly: false, contains: ['devinfo'] },
    ],
  },
  ubootEnv: {
    partition: 'u_env',
    offset: 0,
    size: 0x2_0000, // [OW-ENV `/dev/mtd1 0x0 0x20000 0x20000`]; McDebian's 0x40000 sector is wrong here
    sectorSize: 0x2_0000,
    variables: armada385Variables,
    slotBootCommands: stockSlotBootCommands,
  },
  kernelSlots: dualKernelSlots(armada385Variables, { 1: '/dev/mtdblock6', 2: '/dev/mtdblock8' }), // [OMR1197; UW altnandboot]
  kernelReadWindow: { bytes: 6 * MiB, confirmed: true }, // "uboot does a 0x0600000 read to boot rango" [PR22761]
  bootCounter: sEnvBootCounter,
  // Stock bootargs, "Bootloader command line" [OMR1197]
  stockCommandLine:
    'console=ttyS0,115200 root=/dev/mtdblock6 ro rootdelay=1 rootfstype=jffs2 earlyprintk ' +
    'mtdparts=armada-nand:2048K(uboot)ro,128K(u_env),256K(s_env),256K@8064K(devinfo),1920K@8320K(sysdiag),' +
    '80m@10m(kernel),74m@16m(rootfs),80m@90m(alt_kernel),74m@96m(alt_rootfs),160m@10m(ubifs),-@170m(syscfg)',
  console: uart0,
  ubootConsole: linksysUBootConsole,
  rootModules: armada385RootModules,
  network: armada385Network,
  unverified: [...routerUnverified, 'the 88W8964 radios (mwlwifi is not packaged in Debian)'],
};
