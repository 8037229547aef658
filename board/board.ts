/**
 * What McDebian knows about a board. Boards are data: one file per board, typed by this module,
 * every value with a short comment naming its source (keys defined in board/README.md, "Source keys").
 */

/** Debian architecture the board runs. */
export type DebianArch = 'armhf' | 'amd64';

/**
 * How the board's firmware finds the kernel.
 * - `nand-uimage`: stock Linksys U-Boot reads a legacy multi-file uImage from a NAND kernel slot
 *   and boots it with `bootm` and ATAGs (board/README.md, "The router boot chain").
 * - `qemu-uimage`: Debian's u-boot-qemu boots the same kind of multi-file uImage, with the DTB as
 *   its third part because that U-Boot has no ATAG support (flash/README.md, "The QEMU stand-in").
 * - `uefi`: firmware boots an EFI binary from the GPT disk's EFI system partition.
 */
export type BootMethod = 'nand-uimage' | 'qemu-uimage' | 'uefi';

/** How the DTB reaches the kernel. */
export type DtbPlacement =
  /** Concatenated after the zImage (ARM_APPENDED_DTB); the stock U-Boot passes none. */
  | 'appended'
  /** Third part of the multi-file uImage, handed over by U-Boot (u-boot-qemu). */
  | 'uimage-part';

/** The board's device tree blob. */
export interface DtbSpec {
  /** File name; for `debian-kernel` the basename in the kernel package's DTB folder. */
  file: string;
  /** `debian-kernel`: shipped by the Debian kernel package; `qemu-dumpdtb`: written by QEMU's `-M virt,dumpdtb=`. */
  source: 'debian-kernel' | 'qemu-dumpdtb';
  placement: DtbPlacement;
}

/** One MTD partition, exactly as the kernel's device tree declares it. */
export interface MtdPartition {
  /** The DT `label`, which is also the name in /proc/mtd. */
  name: string;
  /** Byte offset from the start of the NAND. */
  offset: number;
  /** Size in bytes. */
  size: number;
  /** The DT node carries `read-only`. */
  readOnly: boolean;
  /**
   * Partitions lying wholly inside this one by design (kernel1 contains rootfs1). Any overlap
   * not declared here is a board error.
   */
  contains?: readonly string[];
}

/** The raw NAND and its partition table. */
export interface NandFlash {
  /** Total size in bytes. */
  size: number;
  /** Page (write unit) in bytes. */
  pageSize: number;
  /** Erase block in bytes; every partition is aligned to it. */
  eraseBlock: number;
  /** The MTD partitions in device-tree order (which is the /proc/mtd order). */
  partitions: readonly MtdPartition[];
}

/** The U-Boot variable names for the things McDebian reads and changes. Names differ by board. */
export interface UBootVariables {
  /** Which slot boots: `1` or `2`. */
  bootPart: string;
  /** The boot command (`run nandboot` / `run altnandboot`). */
  bootCmd: string;
  /** Bytes read from the primary kernel slot (the read window). */
  priKernSize: string;
  /** Bytes read from the alternate kernel slot. */
  altKernSize: string;
  /** NAND offset of the primary kernel slot. */
  priKernAddr: string;
  /** NAND offset of the alternate kernel slot. */
  altKernAddr: string;
  /** RAM address the slot is read to before `bootm`. */
  defaultLoadAddr: string;
  /** Whether the boot counter falls back to the other slot. */
  autoRecovery: string;
}

/** The stock U-Boot environment: where it is, its geometry for /etc/fw_env.config, its names. */
export interface UBootEnvironment {
  /** MTD partition holding the environment (looked up by name, not number). */
  partition: string;
  /** Offset of the environment inside the partition (fw_env.config column 2). */
  offset: number;
  /** Environment size, the CRC32 covers it (fw_env.config column 3). */
  size: number;
  /** Erase sector size (fw_env.config column 4). */
  sectorSize: number;
  /** Variable names on this board. */
  variables: UBootVariables;
  /** The `bootcmd` value that boots each slot. */
  slotBootCommands: { readonly 1: string; readonly 2: string };
}

/** One firmware slot of the dual-firmware layout. */
export interface KernelSlot {
  /** Slot number as `boot_part` has it. */
  slot: 1 | 2;
  /** MTD partition the blob is written to. */
  partition: string;
  /** U-Boot variable holding how many bytes U-Boot reads from this slot. */
  readSizeVariable: string;
  /**
   * The `root=` the stock boot command of this slot passes (nandboot: /dev/mtdblock5). The kernel
   * command line shows it, so it tells which slot a running system booted from.
   */
  stockRoot: string;
}

/** How many bytes the stock U-Boot reads from a kernel slot before checking the image CRC. */
export interface KernelReadWindow {
  /** Bytes read (the stock value of the read-size variable). */
  bytes: number;
  /** False where no primary source shows the value (board/README.md, "Read windows"). */
  confirmed: boolean;
}

/** The legacy uImage wrapping the kernel blob. */
export interface UImageSpec {
  /** `mkimage -a`. */
  loadAddress: number;
  /** `mkimage -e`. */
  entryAddress: number;
}

/** The Linux kernel the board runs: Debian's own package. */
export interface KernelSpec {
  /** The Debian meta package that pulls in the current kernel (linux-image-armmp). */
  package: string;
  /** The Debian kernel flavour (armmp, amd64). */
  flavour: string;
}

/** The default network layout of the board. */
export type NetworkLayout =
  | {
      kind: 'router';
      /** DSA user ports bridged as the LAN (br0). */
      lanPorts: readonly string[];
      /** DSA user port facing the internet. */
      wanPort: string;
    }
  | {
      kind: 'single';
      /** DHCP on the first Ethernet interface the kernel finds. */
    };

/** The boot counter that makes U-Boot fall back to the other slot. */
export interface BootCounter {
  /** MTD partition holding the counter log. */
  partition: string;
  /** Record stride in bytes (one record per NAND page). */
  recordStride: number;
}

/** Serial console. */
export interface SerialConsole {
  /** Linux device name, without /dev. */
  device: string;
  baud: number;
}

/**
 * The commands that reach the flash from U-Boot's console (mcdebian flash tftp).
 * - `marvell-nand`: the stock Linksys U-Boot: `nand erase`/`nand write`, `saveenv` to u_env.
 * - `qemu-stand-in`: u-boot-qemu on the flash stand-in disk (flash/stand-in.ts): `virtio
 *   write`, and u_env imported and exported by hand, as the stand-in's boot script does.
 */
export type UBootDialect = 'marvell-nand' | 'qemu-stand-in';

/** The addresses `tftpboot` uses: U-Boot's own and the TFTP server's (U-Boot variable names). */
export interface UBootNetwork {
  ipaddr: string;
  serverip: string;
  /** Set where the server is reached through a gateway (QEMU's user network). */
  netmask?: string;
  gatewayip?: string;
}

/** How McDebian drives the board's U-Boot over its serial console. */
export interface UBootConsole {
  /** What U-Boot prints when it waits for a command. */
  prompt: string;
  dialect: UBootDialect;
  /** Default addresses for `tftpboot`; --ipaddr and --serverip override them. */
  network: UBootNetwork;
}

/** A board McDebian can build for. */
export interface Board {
  /** Id used on the command line and in mcdebian.yaml. */
  id: string;
  /** Marketing name. */
  name: string;
  /** Codename (mainline DT name). */
  codename: string;
  /** First DT `compatible` string, checked against the device before flashing; absent without a device tree. */
  compatible?: string;
  /** System on chip. */
  soc: string;
  /** RAM in bytes, where the board has a fixed amount. */
  ram?: number;
  /** Debian architecture. */
  arch: DebianArch;
  /** Debian kernel. */
  kernel: KernelSpec;
  /** Device tree blob, where it comes from and how it reaches the kernel. */
  dtb?: DtbSpec;
  /** uImage addresses, for boards that boot one. */
  uimage?: UImageSpec;
  /** How the firmware finds the kernel. */
  bootMethod: BootMethod;
  /** Raw NAND, for boards that have one. */
  nand?: NandFlash;
  /**
   * QEMU only: a virtio disk standing in for the router's NAND, with GPT partitions named as the
   * MTD partitions it stands in for, each at its NAND offset plus 1 MiB (room for the GPT). A
   * U-Boot script on its `u-boot` partition does what the stock bootcmd does (flash/stand-in.ts).
   */
  flashStandIn?: NandFlash;
  /** Stock U-Boot environment, for boards that have one. */
  ubootEnv?: UBootEnvironment;
  /** The two kernel slots, for dual-firmware boards. */
  kernelSlots?: readonly [KernelSlot, KernelSlot];
  /** Bytes the bootloader reads from a kernel slot. */
  kernelReadWindow?: KernelReadWindow;
  /** The auto-recovery boot counter. */
  bootCounter?: BootCounter;
  /** The command line the stock bootloader passes, which the initramfs must overrule. */
  stockCommandLine?: string;
  /** Serial console. */
  console: SerialConsole;
  /** U-Boot's console, for boards flashed from it (mcdebian flash tftp). */
  ubootConsole?: UBootConsole;
  /** Kernel modules the initramfs needs to mount a USB (or disk) root, in load order. */
  rootModules: readonly string[];
  /** Default network layout. */
  network: NetworkLayout;
  /** Facts about this board not verified on hardware, stated plainly for the user. */
  unverified: readonly string[];
}
