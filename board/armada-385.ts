/**
 * What the four Armada 385 Linksys boards share (caiman, cobra, shelby, rango): the mainline
 * armada-385-linksys.dtsi, the camelCase stock U-Boot environment, the USB-root modules.
 * Source keys: board/README.md, "Source keys".
 */
import type { Board, KernelReadWindow, NandFlash, NetworkLayout, UBootEnvironment, UBootVariables } from './board.js';
import {
  armUImage,
  dualKernelSlots,
  linksysUBootConsole,
  routerUnverified,
  sEnvBootCounter,
  stockSlotBootCommands,
  uart0,
} from './linksys.js';
import { KiB, MiB } from './units.js';

/** Stock variable names on the 385 boards [DOOZAN; McD#76; UW; OW-UP]. */
export const armada385Variables: UBootVariables = {
  bootPart: 'boot_part',
  bootCmd: 'bootcmd',
  priKernSize: 'priKernSize',
  altKernSize: 'altKernSize',
  priKernAddr: 'priKernAddr',
  altKernAddr: 'altKernAddr',
  defaultLoadAddr: 'defaultLoadAddr',
  autoRecovery: 'auto_recovery',
};

/**
 * A USB or eSATA root on an Armada 385 board with Debian's armmp kernel, where all of these are
 * modules [DEB-K modules.dep]: the xHCI platform driver and its NOP PHY, the EHCI of the USB 2.0 /
 * eSATA combo port, the AHCI of its eSATA half, USB storage, SCSI disks and ext4.
 */
export const armada385RootModules = [
  'phy-generic',
  'xhci-plat-hcd',
  'ehci-orion',
  'ahci_mvebu',
  'usb-storage',
  'uas',
  'sd_mod',
  'ext4',
] as const;

/** DSA user ports of the mv88e6085-compatible switch [L-DTS ethernet-port@0..4]. */
export const armada385Network: NetworkLayout = {
  kind: 'router',
  lanPorts: ['lan1', 'lan2', 'lan3', 'lan4'],
  wanPort: 'wan',
};

/** Stock slot-1 bootargs on the 128 MiB 385 boards [LIDE kernel log; McD#76]. */
export const armada385StockCommandLine =
  'console=ttyS0,115200 root=/dev/mtdblock5 ro rootdelay=1 rootfstype=jffs2 earlyprintk ' +
  'mtdparts=armada-nand:2048K(uboot)ro,256K(u_env),256K(s_env),1m@9m(devinfo),40m@10m(kernel),' +
  '34m@16m(rootfs),40m@50m(alt_kernel),34m@56m(alt_rootfs),80m@10m(ubifs),-@90m(syscfg)';


/**
 * The 128 MiB NAND of caiman, cobra and shelby: identical partition tables in the three device
 * trees [L-DTS armada-385-linksys-{caiman,cobra,shelby}.dts; the same in Debian's DTBs, DEB-K].
 * 2048-byte pages, 128 KiB erase blocks [OW-A9 `Device/NAND-128K`].
 */
export const nand128MiB: NandFlash = {
  size: 128 * MiB,
  pageSize: 2048,
  eraseBlock: 128 * KiB,
  partitions: [
    { name: 'u-boot', offset: 0x000_0000, size: 0x20_0000, readOnly: true },
    { name: 'u_env', offset: 0x20_0000, size: 0x4_0000, readOnly: false },
    { name: 's_env', offset: 0x24_0000, size: 0x4_0000, readOnly: false },
    { name: 'devinfo', offset: 0x90_0000, size: 0x10_0000, readOnly: true },
    // "kernel1 overlaps with rootfs1 by design" [L-DTS comment]
    { name: 'kernel1', offset: 0xa0_0000, size: 0x280_0000, readOnly: false, contains: ['rootfs1'] },
    { name: 'rootfs1', offset: 0x100_0000, size: 0x220_0000, readOnly: false },
    { name: 'kernel2', offset: 0x320_0000, size: 0x280_0000, readOnly: false, contains: ['rootfs2'] },
    { name: 'rootfs2', offset: 0x380_0000, size: 0x220_0000, readOnly: false },
    // "last MiB is for the BBT, not writable" [L-DTS comment]
    { name: 'syscfg', offset: 0x5a0_0000, size: 0x260_0000, readOnly: false },
    // listed last "because otherwise the renumbered partitions would break the bootloader supplied bootargs"
    { name: 'unused_area', offset: 0x28_0000, size: 0x68_0000, readOnly: false },
  ],
};

/**
 * fw_env.config geometry on caiman, cobra and shelby: a 0x20000 environment in the 0x40000
 * u_env partition, sector 0x40000, no redundant copy [OW-ENV `/dev/mtd1 0x0 0x20000 0x40000`].
 */
export const armada385Env128: UBootEnvironment = {
  partition: 'u_env',
  offset: 0,
  size: 0x2_0000,
  sectorSize: 0x4_0000,
  variables: armada385Variables,
  slotBootCommands: stockSlotBootCommands,
};


/** What differs between caiman, cobra and shelby. */
export interface Armada385BoardFacts {
  id: string;
  name: string;
  codename: string;
  /** Debian DTB basename [DEB-K]. */
  dtbFile: string;
  /** Stock priKernSize/altKernSize and whether a source shows it for this board. */
  readWindow: KernelReadWindow;
  unverified: readonly string[];
}

/** A 128 MiB Armada 385 board: the shared layout plus its own facts. */
export function armada385Board(facts: Armada385BoardFacts): Board {
  return {
    id: facts.id,
    name: facts.name,
    codename: facts.codename,
    compatible: `linksys,${facts.codename}`, // [L-DTS]
    soc: 'Marvell Armada 385 (88F6820)', // [L-DTS; LH]
    ram: 512 * MiB, // [L-DTS dtsi memory node]
    arch: 'armhf',
    kernel: { package: 'linux-image-armmp', flavour: 'armmp' }, // Debian's own kernel: board/README.md, "The router boot chain"
    dtb: { file: facts.dtbFile, source: 'debian-kernel', placement: 'appended' },
    uimage: armUImage,
    bootMethod: 'nand-uimage',
    nand: nand128MiB,
    ubootEnv: armada385Env128,
    kernelSlots: dualKernelSlots(armada385Variables),
    kernelReadWindow: facts.readWindow,
    bootCounter: sEnvBootCounter,
    stockCommandLine: armada385StockCommandLine,
    console: uart0,
    ubootConsole: linksysUBootConsole,
    rootModules: armada385RootModules,
    network: armada385Network,
    unverified: [...routerUnverified, ...facts.unverified],
  };
}
