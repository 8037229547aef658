/**
 * A file-backed fake USB stick (etcher-sdk's tests do the same): a regular file as the device,
 * a fake sysfs tree that describes it (removable, size, dev, partitions, holders, the USB path)
 * and a fake procfs with a mountinfo. Writes only under the directory it is given.
 */
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FakeDeviceOptions {
  /** Kernel name; the device file is <dir>/dev/<name>. */
  name?: string;
  /** Device size in bytes: the file's length and sysfs `size` × 512. */
  size: number;
  /** sysfs `removable`; 1 unless said. */
  removable?: 0 | 1;
  /** Put the device under a usb1/ bus in sysfs, as a USB disk is. */
  usb?: boolean;
  /** Partition suffixes: ['1', '2'] makes <name>1 and <name>2. */
  partitions?: string[];
  holders?: string[];
  /** Lines of /proc/self/mountinfo; `mountinfoLine` makes one. */
  mountinfo?: string[];
  /** Fill byte for the device, to tell written bytes from untouched ones. */
  fill?: number;
}

export interface FakeDevice {
  device: string;
  sysRoot: string;
  procRoot: string;
  /** major:minor of the disk; partition N is 8:(16+N). */
  dev: string;
}

export async function makeFakeDevice(dir: string, options: FakeDeviceOptions): Promise<FakeDevice> {
  const name = options.name ?? 'sdz';
  const device = join(dir, 'dev', name);
  await mkdir(join(dir, 'dev'), { recursive: true });
  if (options.fill === undefined) {
    await writeFile(device, '');
    await truncate(device, options.size);
  } else {
    await writeFile(device, Buffer.alloc(options.size, options.fill));
  }
  const sysRoot = join(dir, 'sys');
  const bus = options.usb ? 'pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0' : 'pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0';
  const entry = join(sysRoot, 'devices', bus, 'block', name);
  await mkdir(join(entry, 'holders'), { recursive: true });
  await writeFile(join(entry, 'removable'), `${options.removable ?? 1}\n`);
  await writeFile(join(entry, 'size'), `${Math.floor(options.size / 512)}\n`);
  await writeFile(join(entry, 'dev'), '8:16\n');
  for (const holder of options.holders ?? []) await mkdir(join(entry, 'holders', holder));
  for (const [index, suffix] of (options.partitions ?? []).entries()) {
    await mkdir(join(entry, `${name}${suffix}`, 'holders'), { recursive: true });
    await writeFile(join(entry, `${name}${suffix}`, 'dev'), `8:${17 + index}\n`);
  }
  await mkdir(join(sysRoot, 'class/block'), { recursive: true });
  // As in real sysfs: /sys/class/block/<name> links into /sys/devices.
  await symlink(join('../../devices', bus, 'block', name), join(sysRoot, 'class/block', name));
  const procRoot = join(dir, 'proc');
  await mkdir(join(procRoot, 'self'), { recursive: true });
  const rootLine = mountinfoLine({ source: '/dev/nvme0n1p2', point: '/', dev: '259:2' });
  await writeFile(join(procRoot, 'self/mountinfo'), [rootLine, ...options.mountinfo ?? []].join('\n') + '\n');
  return { device, sysRoot, procRoot, dev: '8:16' };
}

/** One /proc/self/mountinfo line in the kernel's format (proc(5)). */
export function mountinfoLine(options: { source: string; point: string; dev: string }): string {
  return `36 25 ${options.dev} / ${options.point.replaceAll(' ', '\\040')} rw,relatime shared:1 - ext4 ${options.source} rw`;
}
