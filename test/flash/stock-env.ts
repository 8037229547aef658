/**
 * Stock Linksys environments as shared/reference/wrt-ac-boards.md §4a quotes them. The reference
 * gives some values verbatim (DOOZAN's fw_printenv excerpt from a WRT1200AC v2: altKernAddr,
 * altKernSize, altFwSize, auto_recovery, MPmode) and describes others (nandboot: "sets bootargs
 * to ..., runs nand read ..., then bootm"); those are spelled out here from the description and
 * the §3 mtdparts, so they test the codec, not the exact stock strings.
 */

const caimanMtdparts =
  'mtdparts=armada-nand:2048K(uboot)ro,256K(u_env),256K(s_env),1m@9m(devinfo),40m@10m(kernel),' +
  '34m@16m(rootfs),40m@50m(alt_kernel),34m@56m(alt_rootfs),80m@10m(ubifs),-@90m(syscfg)';

const bootargs = (root: string) =>
  `setenv bootargs console=ttyS0,115200 root=/dev/${root} ro rootdelay=1 rootfstype=jffs2 earlyprintk $mtdparts`;

/** WRT1200AC (caiman), slot 1 active, camelCase names [§4a]. */
export const caimanStockVariables: Readonly<Record<string, string>> = {
  bootcmd: 'run nandboot',
  boot_part: '1',
  auto_recovery: 'yes',
  nandboot: `${bootargs('mtdblock5')}; nand read $defaultLoadAddr $priKernAddr $priKernSize; bootm $defaultLoadAddr`,
  altnandboot: `${bootargs('mtdblock7')}; nand read $defaultLoadAddr $altKernAddr $altKernSize; bootm $defaultLoadAddr`,
  altKernAddr: '0x3200000',
  altKernSize: '0x0600000',
  altFwSize: '0x2800000',
  priKernAddr: '0xa00000',
  priKernSize: '0x0600000',
  priFwSize: '0x2800000',
  defaultLoadAddr: '0x2000000',
  mtdparts: caimanMtdparts,
  MPmode: 'SMP',
};

/** WRT1900AC v1 (mamba), lower_case names and the 4 MiB read window [§4a; PR3852; McD#44]. */
export const mambaStockVariables: Readonly<Record<string, string>> = {
  bootcmd: 'run nandboot',
  boot_part: '1',
  auto_recovery: 'yes',
  nandboot: 'run bootargs_pri; nand read $default_load_addr $pri_kern_addr $pri_kern_size; bootm $default_load_addr',
  altnandboot: 'run bootargs_alt; nand read $default_load_addr $alt_kern_addr $alt_kern_size; bootm $default_load_addr',
  pri_kern_addr: '0xa00000',
  pri_kern_size: '0x400000',
  alt_kern_addr: '0x3200000',
  alt_kern_size: '0x400000',
  default_load_addr: '0x2000000',
};
