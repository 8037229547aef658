/**
 * The router's flash and stock U-Boot, stood in for under QEMU (flash/README.md, "The QEMU stand-in").
 *
 * Debian's armmp kernel cannot see QEMU's pflash, and nandsim forgets at reboot, so the stand-in
 * is a virtio disk: GPT partitions named as caiman's MTD partitions (u-boot, u_env, s_env,
 * kernel1, kernel2), each at its NAND offset plus 1 MiB. Linux finds them by PARTLABEL and writes
 * them as it writes the MTD partitions on a router: fw_setenv on u_env, boot counter records on
 * s_env, the kernel blob on a slot.
 *
 * u-boot-qemu's own boot flow finds boot.scr.uimg on the `u-boot` partition (FAT). That script
 * does what the stock bootcmd does: import u_env (`env import -c`), count the boot in s_env while
 * auto_recovery is on, switch boot_part and bootcmd after too many uncounted boots, then
 * `run bootcmd`, whose nandboot/altnandboot read the slot's read window (priKernSize/altKernSize)
 * and bootm, exactly as the stock ones `nand read`. A window too small for the blob fails with
 * "Bad Data CRC" here as on the router.
 */
import type { Board, NandFlash } from '../board/board.js';
import { BOOT_COUNT_MAGIC } from './bootcount.js';

/** The GPT needs the disk's first MiB: every stand-in partition sits at its NAND offset plus this. */
export const STAND_IN_SHIFT = 1024 * 1024;
const SECTOR = 512;
/** Boots of a slot that no healthy system confirmed before the stand-in switches slots. */
export const BOOTS_BEFORE_FALLBACK = 3;
/**
 * RAM the script works in (virt RAM starts at 0x40000000; u-boot-qemu relocates itself to the top
 * of its 1 GiB): u_env at ENV_ADDRESS, s_env at COUNTER_ADDRESS, the blob at the load address.
 */
export const ENV_ADDRESS = 0x4800_0000;
const COUNTER_ADDRESS = 0x4810_0000;
/** Where nandboot reads the slot: clear of the kernel unpacked at 0x40008000 and of the script. */
export const STAND_IN_LOAD_ADDRESS = 0x4200_0000;
/** u-boot-qemu leaves the DTB and initramfs in place; relocated below armmp's lowmem end (no LPAE). */
const RELOCATE_BELOW = '0x60000000';

const hex = (n: number): string => `0x${n.toString(16)}`;

export interface StandInPartition {
  name: string;
  /** Byte offset on the stand-in disk. */
  start: number;
  size: number;
}

export interface StandInLayout {
  partitions: StandInPartition[];
  /** Size of the disk file: the last partition's end plus room for the backup GPT. */
  diskBytes: number;
}

export function standInFlash(board: Board): NandFlash {
  if (!board.flashStandIn) throw new Error(`${board.id} has no flash stand-in`);
  return board.flashStandIn;
}

export function standInLayout(board: Board): StandInLayout {
  const partitions = standInFlash(board).partitions.map((p) => ({ name: p.name, start: p.offset + STAND_IN_SHIFT, size: p.size }));
  const end = Math.max(...partitions.map((p) => p.start + p.size));
  return { partitions, diskBytes: end + STAND_IN_SHIFT };
}

export function standInPartition(layout: StandInLayout, name: string): StandInPartition {
  const partition = layout.partitions.find((p) => p.name === name);
  if (!partition) throw new Error(`the flash stand-in has no ${name} partition`);
  return partition;
}

/**
 * sfdisk script for the GPT: named partitions in NAND order. `u-boot` is the FAT partition with
 * the script, marked legacy-bootable so that u-boot-qemu's distro boot scans it first.
 */
export function standInPartitionScript(layout: StandInLayout): string {
  const lines = ['label: gpt', 'unit: sectors', ''];
  for (const p of layout.partitions) {
    const type = p.name === 'u-boot' ? 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7' : '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
    const attrs = p.name === 'u-boot' ? ', attrs="LegacyBIOSBootable"' : '';
    lines.push(`start=${p.start / SECTOR}, size=${p.size / SECTOR}, type=${type}, name="${p.name}"${attrs}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The slot's stock-style boot command: set the stock bootargs, read the slot's window, bootm. */
function slotBootCommand(board: Board, slot: 1 | 2): string {
  const env = board.ubootEnv!;
  const names = env.variables;
  const kernelSlot = board.kernelSlots!.find((s) => s.slot === slot)!;
  const address = slot === 1 ? names.priKernAddr : names.altKernAddr;
  const bootargs = board.stockCommandLine!.replace(/root=\S+/, `root=${kernelSlot.stockRoot}`);
  return [
    `setenv bootargs '${bootargs}'`,
    // the NAND address to a block of the stand-in disk, and the read window to a block count
    `setexpr mcd_blk \${${address}} + ${hex(STAND_IN_SHIFT)}`,
    `setexpr mcd_blk \${mcd_blk} / ${hex(SECTOR)}`,
    `setexpr mcd_cnt \${${kernelSlot.readSizeVariable}} / ${hex(SECTOR)}`,
    `virtio read \${${names.defaultLoadAddr}} \${mcd_blk} \${mcd_cnt}`,
    `bootm \${${names.defaultLoadAddr}}`,
  ].join('; ');
}

/**
 * The stand-in's u_env as the factory left it, after McDebian was flashed to both slots: the stock
 * variables (board/README.md, "U-Boot variables") with nandboot/altnandboot reading the virtio
 * disk instead of NAND, and both read windows at `readSize`.
 */
export function standInEnvironment(board: Board, readSize: number): Record<string, string> {
  const env = board.ubootEnv;
  const slots = board.kernelSlots;
  if (!env || !slots || !board.stockCommandLine) throw new Error(`${board.id} has no stock U-Boot environment to stand in for`);
  const names = env.variables;
  const flash = standInFlash(board);
  const offset = (name: string) => hex(flash.partitions.find((p) => p.name === name)!.offset);
  return {
    [names.bootPart]: '1',
    [names.bootCmd]: env.slotBootCommands[1],
    [names.autoRecovery]: 'yes',
    [names.priKernAddr]: offset(slots[0].partition),
    [names.altKernAddr]: offset(slots[1].partition),
    [names.priKernSize]: hex(readSize),
    [names.altKernSize]: hex(readSize),
    [names.defaultLoadAddr]: hex(STAND_IN_LOAD_ADDRESS),
    nandboot: slotBootCommand(board, 1),
    altnandboot: slotBootCommand(board, 2),
  };
}

/**
 * The hush script u-boot-qemu runs: the stock bootcmd's behaviour, with the stand-in's disk
 * offsets baked in. Temporary values live in `mcd_*` variables, deleted before u_env is saved so
 * the saved environment holds only what the router's would. Where the router would wait at its
 * prompt after a failed boot for someone to power-cycle it, the stand-in resets at once.
 */
export function standInBootScript(board: Board): string {
  const layout = standInLayout(board);
  const env = board.ubootEnv!;
  const names = env.variables;
  const uEnv = standInPartition(layout, env.partition);
  const sEnv = standInPartition(layout, board.bootCounter!.partition);
  const stride = board.bootCounter!.recordStride;
  const pages = sEnv.size / stride;
  const envBlocks = hex(Math.ceil(env.size / SECTOR));
  const uEnvBlock = hex((uEnv.start + env.offset) / SECTOR);
  const sEnvBlock = hex(sEnv.start / SECTOR);
  const blocksPerPage = hex(stride / SECTOR);
  const temporaries = 'mcd_i mcd_off mcd_addr mcd_magic mcd_count mcd_next mcd_blk mcd_switch';
  return [
    // echo's text is quoted: U-Boot commands take at most 16 arguments
    'echo "McDebian stand-in: the stock boot from u_env, s_env and the kernel slots on virtio 0"',
    `virtio read ${hex(ENV_ADDRESS)} ${uEnvBlock} ${envBlocks}`,
    // -d: the environment becomes u_env alone, as on the router, so saving it writes nothing of u-boot-qemu's
    `if env import -d -c ${hex(ENV_ADDRESS)} ${hex(env.size)}; then true; else echo "McDebian stand-in: bad CRC in u_env, stopping"; exit; fi`,
    'setenv mcd_count 0; setenv mcd_switch no',
    `if test "\${${names.autoRecovery}}" = yes; then`,
    `  virtio read ${hex(COUNTER_ADDRESS)} ${sEnvBlock} ${hex(sEnv.size / SECTOR)}`,
    // the record log [OW-RBC]: read records until erased flash; the last count is the counter
    '  setenv mcd_i 0; setenv mcd_next full',
    `  while itest \${mcd_i} -lt ${hex(pages)}; do`,
    `    setexpr mcd_off \${mcd_i} * ${hex(stride)}`,
    `    setexpr mcd_addr \${mcd_off} + ${hex(COUNTER_ADDRESS)}`,
    '    setexpr.l mcd_magic *${mcd_addr}',
    `    if itest \${mcd_magic} == ${hex(BOOT_COUNT_MAGIC)}; then`,
    '      setexpr mcd_addr ${mcd_addr} + 4; setexpr.l mcd_count *${mcd_addr}; setexpr mcd_i ${mcd_i} + 1',
    '    elif itest ${mcd_magic} == 0xffffffff; then',
    `      setenv mcd_next \${mcd_i}; setenv mcd_i ${hex(pages)}`,
    '    else',
    `      echo "McDebian stand-in: s_env record \${mcd_i} has magic \${mcd_magic}, counting from 0"; setenv mcd_count 0; setenv mcd_i ${hex(pages)}`,
    '    fi',
    '  done',
    `  if itest \${mcd_count} -ge ${BOOTS_BEFORE_FALLBACK}; then`,
    `    echo "McDebian stand-in: slot \${${names.bootPart}} booted \${mcd_count} times with no healthy system resetting the counter, auto_recovery switches slots"`,
    '    setenv mcd_switch yes; setenv mcd_count 0',
    '  fi',
    '  setexpr mcd_count ${mcd_count} + 1',
    // a full log (or a foreign record) is erased first, as resetbc does
    '  if test "${mcd_next}" = full; then',
    `    mw.b ${hex(COUNTER_ADDRESS)} 0xff ${hex(sEnv.size)}; virtio write ${hex(COUNTER_ADDRESS)} ${sEnvBlock} ${hex(sEnv.size / SECTOR)}; setenv mcd_next 0`,
    '  fi',
    `  setexpr mcd_off \${mcd_next} * ${hex(stride)}`,
    `  setexpr mcd_addr \${mcd_off} + ${hex(COUNTER_ADDRESS)}`,
    `  mw.b \${mcd_addr} 0xff ${hex(stride)}`,
    `  mw.l \${mcd_addr} ${hex(BOOT_COUNT_MAGIC)}`,
    '  setexpr mcd_off ${mcd_addr} + 4; mw.l ${mcd_off} ${mcd_count}',
    // the checksum of a count above 0 is unconfirmed (flash/README.md, "The s_env boot counter"):
    // the stand-in writes magic + count
    `  setexpr mcd_magic ${hex(BOOT_COUNT_MAGIC)} + \${mcd_count}; setexpr mcd_off \${mcd_addr} + 8; mw.l \${mcd_off} \${mcd_magic}`,
    `  setexpr mcd_off \${mcd_next} * ${blocksPerPage}`,
    `  setexpr mcd_blk \${mcd_off} + ${sEnvBlock}`,
    `  virtio write \${mcd_addr} \${mcd_blk} ${blocksPerPage}`,
    'fi',
    // a hush variable: not in the environment, so not saved with it
    'mcd_boots=${mcd_count}',
    'if test "${mcd_switch}" = yes; then',
    `  if test "\${${names.bootPart}}" = 1; then setenv ${names.bootPart} 2; setenv ${names.bootCmd} '${env.slotBootCommands[2]}'; else setenv ${names.bootPart} 1; setenv ${names.bootCmd} '${env.slotBootCommands[1]}'; fi`,
    `  for mcd_v in ${temporaries}; do setenv \${mcd_v}; done`,
    `  env export -c -s ${hex(env.size)} ${hex(ENV_ADDRESS)}`,
    `  virtio write ${hex(ENV_ADDRESS)} ${uEnvBlock} ${envBlocks}`,
    'fi',
    `echo "McDebian stand-in: boot_part \${${names.bootPart}}, boot count \${mcd_boots}: \${${names.bootCmd}}"`,
    `setenv fdt_high ${RELOCATE_BELOW}`,
    `setenv initrd_high ${RELOCATE_BELOW}`,
    'run bootcmd',
    'echo "McDebian stand-in: the boot failed, resetting as a power cycle would"',
    'sleep 1',
    'reset',
    '',
  ].join('\n');
}
