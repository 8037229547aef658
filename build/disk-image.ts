/**
 * The x86-64 disk: GPT with an EFI system partition (FAT32, systemd-boot as the removable-media
 * loader EFI/BOOT/BOOTX64.EFI, kernel and initramfs beside it) and the ext4 root. The ESP is
 * filled with mtools, so no loop device and no mount. Reads config.image.size; writes disk.img.
 */
import { PARTITION_START } from './usb-image.js';

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
