/** Generic x86-64 server, bare metal or EC2: UEFI, GPT disk, Debian's amd64 kernel. */
import type { Board } from './board.js';

export const x8664: Board = {
  id: 'x86-64',
  name: 'Generic x86-64 (UEFI, EC2)',
  codename: 'amd64',
  soc: 'any x86-64',
  arch: 'amd64',
  kernel: { package: 'linux-image-amd64', flavour: 'amd64' },
  bootMethod: 'uefi',
  console: { device: 'ttyS0', baud: 115200 }, // EC2's serial console and QEMU's first UART
  // NVMe (EC2 Nitro), Xen block (older EC2), virtio (QEMU, most clouds), AHCI/SCSI (bare metal)
  rootModules: ['nvme', 'xen-blkfront', 'virtio_blk', 'virtio_scsi', 'ahci', 'sd_mod', 'ext4'],
  network: { kind: 'single' },
  unverified: [],
};
