/**
 * What every Linksys WRT AC board shares, Armada 385 and Armada XP alike: the dual-firmware slots,
 * the serial console, the uImage addresses, the s_env boot counter.
 * Source keys: board/README.md, "Source keys".
 */
import type { BootCounter, KernelSlot, SerialConsole, UBootConsole, UBootVariables } from './board.js';

/** `run nandboot` boots slot 1, `run altnandboot` slot 2 [OW-UP]. */
export const stockSlotBootCommands = { 1: 'run nandboot', 2: 'run altnandboot' } as const;

/** `nandboot` passes root=/dev/mtdblock5, `altnandboot` /dev/mtdblock7 on the 128 MiB boards [McD#76; DOOZAN]. */
export const stockSlotRoots = { 1: '/dev/mtdblock5', 2: '/dev/mtdblock7' } as const;

/** kernel1/kernel2, the variable holding each slot's read size, and the root= each slot's boot passes. */
export function dualKernelSlots(variables: UBootVariables, roots: { 1: string; 2: string } = stockSlotRoots): readonly [KernelSlot, KernelSlot] {
  return [
    { slot: 1, partition: 'kernel1', readSizeVariable: variables.priKernSize, stockRoot: roots[1] },
    { slot: 2, partition: 'kernel2', readSizeVariable: variables.altKernSize, stockRoot: roots[2] },
  ];
}

/** UART0 at 115200 8N1 [L-DTS `stdout-path = "serial0:115200n8"`]. */
export const uart0: SerialConsole = { device: 'ttyS0', baud: 115200 };

/** OpenWrt and McDebian load legacy uImages at 0x8000; the zImage is position independent [OW-IMG; DEB-K]. */
export const armUImage = { loadAddress: 0x0000_8000, entryAddress: 0x0000_8000 } as const;

/** What QEMU cannot show for any router board. */
export const routerUnverified = [
  'whether the stock Marvell U-Boot hands a multi-file uImage\'s initramfs to the kernel (ATAG_INITRD2)',
  'the NAND controller, the switch and Wi-Fi (QEMU stands in only for the boot chain)',
] as const;

/** One 12-byte record per 2048-byte page in s_env [OW-RBC]. */
export const sEnvBootCounter: BootCounter = { partition: 's_env', recordStride: 2048 };

/**
 * The stock U-Boot's console: the `Marvell>> ` prompt [McD#76; gargoyle forum], NAND commands, and
 * the addresses the TFTP recovery guides use (the stock ipaddr/serverip are unconfirmed:
 * board/README.md, "U-Boot variables").
 */
export const linksysUBootConsole: UBootConsole = {
  prompt: 'Marvell>> ',
  dialect: 'marvell-nand',
  network: { ipaddr: '192.168.1.1', serverip: '192.168.1.2' },
};
