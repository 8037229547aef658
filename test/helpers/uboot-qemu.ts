/**
 * U-Boot under QEMU for the TFTP flashing tests and benchmark: test kernel blobs, and
 * u-boot-qemu on a flash stand-in disk with its console on a unix socket and no USB stick
 * (U-Boot only: no Linux is booted).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeUImage } from './uimage.js';
import { execa, type ResultPromise } from 'execa';
import { UBOOT_QEMU_ARM } from '../../build/boot.js';
import { runCommand } from '../../build/core/exec.js';
import { armMachineArgs, dumpDtbArgs, ARM_ACCEL } from '../../build/qemu.js';

/** The tools of the QEMU tests, by Debian package. */
export const QEMU_TFTP_TOOLS = { 'qemu-system-arm': 'qemu-system-arm', 'in.tftpd': 'tftpd-hpa', mkimage: 'u-boot-tools', 'mkfs.fat': 'dosfstools', mcopy: 'mtools', sfdisk: 'fdisk' };

/** A legacy single-file uImage made in memory (include/image.h), for tests without mkimage. */
export const legacyUImage = (name: string, data: Buffer): Buffer => makeUImage(name, data);

/** QEMU's virt DTB, as the build makes it for qemu-armhf's blob. */
export async function dumpVirtDtb(dir: string): Promise<string> {
  const dtb = join(dir, 'virt.dtb');
  await runCommand(dumpDtbArgs(dtb));
  return dtb;
}

/**
 * A multi-file uImage [kernel, initramfs, DTB] as qemu-armhf boots, whose "kernel" starts with
 * `b .` (0xeafffffe): u-boot-qemu verifies it and prints "Starting kernel ...", then the CPU
 * spins in place instead of running random bytes.
 */
export async function makeTestUImage(dir: string, options: { name: string; kernelBytes: number; dtb: string }): Promise<string> {
  const kernel = randomBytes(options.kernelBytes);
  for (let offset = 0; offset < 4096; offset += 4) kernel.writeUInt32LE(0xeaff_fffe, offset);
  const base = join(dir, options.name.replaceAll(' ', '-'));
  await writeFile(`${base}.kernel`, kernel);
  await writeFile(`${base}.initrd`, randomBytes(64 * 1024));
  const image = `${base}.uimg`;
  await runCommand([
    'mkimage', '-A', 'arm', '-O', 'linux', '-T', 'multi', '-C', 'none', '-a', '0x40008000', '-e', '0x40008000',
    '-n', options.name, '-d', `${base}.kernel:${base}.initrd:${options.dtb}`, image,
  ]);
  return image;
}

/**
 * u-boot-qemu on the stand-in disk; `wait=on` holds the machine until the console is connected,
 * so the autoboot countdown cannot pass unseen.
 */
export function startUBootQemu(options: { flashDisk: string; serialSocket: string }): { qemu: ResultPromise; stop(): Promise<void> } {
  const qemu = execa('qemu-system-arm', [
    ...armMachineArgs(), ...ARM_ACCEL, '-nographic', '-bios', UBOOT_QEMU_ARM,
    '-netdev', 'user,id=net0', '-device', 'virtio-net-pci,netdev=net0',
    '-drive', `if=none,id=flash,format=raw,file=${options.flashDisk}`, '-device', 'virtio-blk-device,drive=flash',
    '-serial', `unix:${options.serialSocket},server=on,wait=on`, '-monitor', 'none',
  ], { reject: false, stdin: 'ignore' });
  return {
    qemu,
    stop: async () => {
      qemu.kill('SIGKILL');
      await qemu;
    },
  };
}
