/**
 * Stock Linksys environments, as flash/README.md, "The stock environments the tests quote" says
 * where each value comes from. Some are verbatim (DOOZAN's fw_printenv excerpt from a WRT1200AC
 * v2: altKernAddr, altKernSize, altFwSize, auto_recovery, MPmode); others are published only as
 * a description (nandboot: sets bootargs, runs nand read, then bootm) and are spelled out here
 * from it and the stock mtdparts, so they test the codec, not the exact stock strings.
 */

const caimanMtdparts =
  'mtdparts=armada-nand:2048K(uboot)ro,256K(u_env),256K(s_env),1m@9m(devinfo),40m@10m(kernel),' +
  '34m@16m(rootfs),40m@50m(alt_kernel),34m@56m(alt_rootfs),80m@10m(ubifs),-@90m(syscfg)';

const bootargs = (root: string) =>
  `setenv bootargs console=ttyS0,115200 root=/dev/${root} ro rootdelay=1 rootfstype=jffs2 earlyprintk $mtdparts`;

/** WRT1200AC (caiman), slot 1 active, camelCase names [DOOZAN; McD#76; OW-UP]. */
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

/** WRT1900AC v1 (mamba), lower_case names and the 4 MiB read window [PR3852; McD#44]. */
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
