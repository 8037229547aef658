/**
 * The x86-64 disk: GPT with an EFI system partition (FAT32, systemd-boot as the removable-media
 * loader EFI/BOOT/BOOTX64.EFI, kernel and initramfs beside it) and the ext4 root. The ESP is
 * filled with mtools, so no loop device and no mount. Reads config.image.size; writes disk.img.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Step, StepCommand } from './core/step.js';
import { ext4Env, mke2fsArgs, type Ext4Spec } from './ext4.js';
import { ddArgs, PARTITION_START, sfdiskArgs, truncateArgs } from './usb-image.js';

export const ESP_SIZE = 256 * 1024 * 1024;
const SECTOR = 512;

/** UEFI's EFI system partition type (UEFI spec 5.3.3). */
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
/** "Root Partition (x86-64)" from the Discoverable Partitions Specification. */
const ROOT_X86_64_TYPE = '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709';

export interface GptSpec {
  sizeBytes: number;
  diskGuid: string;
  espGuid: string;
  rootGuid: string;
}

/** Byte offset of the root partition. */
export const ROOT_OFFSET = PARTITION_START + ESP_SIZE;

/** sfdisk script for the GPT disk; the root partition fills the rest, leaving room for the backup GPT. */
export function gptPartitionScript(spec: GptSpec): string {
  const espStart = PARTITION_START / SECTOR;
  const rootStart = ROOT_OFFSET / SECTOR;
  return [
    'label: gpt',
    `label-id: ${spec.diskGuid}`,
    'unit: sectors',
    '',
    `start=${espStart}, size=${ESP_SIZE / SECTOR}, type=${ESP_TYPE}, uuid=${spec.espGuid}, name="ESP"`,
    `start=${rootStart}, type=${ROOT_X86_64_TYPE}, uuid=${spec.rootGuid}, name="root"`,
    '',
  ].join('\n');
}

/** The ext4 root fills the disk after the ESP, less 1 MiB for the backup GPT. */
export function diskRootfsSize(diskBytes: number): number {
  return diskBytes - ROOT_OFFSET - PARTITION_START;
}

export function mkfsFatArgs(options: { output: string; volumeId: string }): string[] {
  return ['mkfs.fat', '-F', '32', '-n', 'ESP', '-i', options.volumeId, '-C', options.output, String(ESP_SIZE / 1024)];
}

/** Copies the ESP tree (EFI/, loader/, mcdebian/) into the FAT image. */
export function mcopyArgs(options: { image: string; sourceDir: string }): string[] {
  const top = ['EFI', 'loader', 'mcdebian'].map((name) => `${options.sourceDir}/${name}`);
  return ['mcopy', '-s', '-p', '-m', '-i', options.image, ...top, '::/'];
}

/** The systemd-boot loader entry: the kernel and initramfs beside it on the ESP, root by UUID. */
export function loaderEntry(options: { rootUuid: string; console: string }): string {
  return [
    'title McDebian',
    'linux /mcdebian/vmlinuz',
    'initrd /mcdebian/initrd.img',
    `options root=UUID=${options.rootUuid} ro console=tty0 console=${options.console}`,
    '',
  ].join('\n');
}

export interface EspOptions {
  rootfs: string;
  /** The ESP tree to fill, <work>/esp. */
  dir: string;
  rootUuid: string;
  console: string;
}

/** Fills the ESP tree: systemd-boot as the removable-media loader, one entry, kernel and initramfs. */
export function espStep(options: EspOptions, plannedRelease: string): Step {
  const files = ['EFI/BOOT/BOOTX64.EFI', 'loader/loader.conf', 'loader/entries/mcdebian.conf', 'mcdebian/vmlinuz', 'mcdebian/initrd.img'];
  return {
    id: 'esp',
    title: 'Fill the EFI system partition',
    commands: [],
    writes: files.map((name) => join(options.dir, name)),
    notes: [`systemd-boot from /usr/lib/systemd/boot/efi/systemd-bootx64.efi; kernel and initramfs ${plannedRelease}; root=UUID=${options.rootUuid}`],
    run: async (ctx) => {
      const release = ctx.state.kernelRelease;
      if (!release) throw new Error('esp: the assemble step found no kernel release');
      await rm(options.dir, { recursive: true, force: true });
      for (const sub of ['EFI/BOOT', 'loader/entries', 'mcdebian']) await mkdir(join(options.dir, sub), { recursive: true });
      await copyFile(join(options.rootfs, 'usr/lib/systemd/boot/efi/systemd-bootx64.efi'), join(options.dir, 'EFI/BOOT/BOOTX64.EFI'));
      await copyFile(join(options.rootfs, `boot/vmlinuz-${release}`), join(options.dir, 'mcdebian/vmlinuz'));
      await copyFile(join(options.rootfs, `boot/initrd.img-${release}`), join(options.dir, 'mcdebian/initrd.img'));
      await writeFile(join(options.dir, 'loader/loader.conf'), 'default mcdebian.conf\ntimeout 0\n');
      await writeFile(join(options.dir, 'loader/entries/mcdebian.conf'), loaderEntry(options));
      const epoch = ctx.state.sourceDateEpoch;
      if (epoch !== undefined) await ctx.exec(['find', options.dir, '-exec', 'touch', `--date=@${epoch}`, '{}', '+']);
    },
  };
}

export interface DiskImageOptions extends GptSpec {
  espDir: string;
  espImage: string;
  /** The root filesystem, made again straight into its partition (mke2fs -E offset), not copied. */
  ext4: Ext4Spec;
  output: string;
}

export function diskImageCommands(options: DiskImageOptions): StepCommand[] {
  return [
    { argv: mkfsFatArgs({ output: options.espImage, volumeId: options.espGuid.slice(0, 8) }) },
    { argv: mcopyArgs({ image: options.espImage, sourceDir: options.espDir }) },
    { argv: truncateArgs(options.output, options.sizeBytes) },
    { argv: sfdiskArgs(options.output), stdin: gptPartitionScript(options) },
    { argv: ddArgs({ input: options.espImage, output: options.output, offset: PARTITION_START }) },
    { argv: mke2fsArgs({ ...options.ext4, output: options.output, offset: ROOT_OFFSET }) },
  ];
}

export function diskImageStep(options: DiskImageOptions, final: { output: string; sizeText: string }): Step {
  return {
    id: 'disk-image',
    title: 'Make the GPT disk.img',
    commands: diskImageCommands({ ...options, output: final.output }),
    writes: [options.espImage, final.output],
    notes: [`sparse, ${final.sizeText}; boots under UEFI (OVMF)`],
    run: async (ctx) => {
      await rm(options.espImage, { force: true });
      const epoch = ctx.state.sourceDateEpoch;
      const env = epoch === undefined ? undefined : { SOURCE_DATE_EPOCH: String(epoch), ...ext4Env(epoch) };
      for (const command of diskImageCommands(options)) await ctx.exec(command.argv, { stdin: command.stdin, env });
    },
  };
}
