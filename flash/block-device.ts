/**
 * Inspects a flash target before anything is written to it, and refuses what must not be
 * overwritten: not a block device, not removable, mounted or held, too small for the image.
 * Reads the device's stat, `<sysRoot>/class/block/<name>/` (removable, size, dev, holders,
 * partitions) and `<procRoot>/self/mountinfo` (or `<procRoot>/mounts`); writes nothing.
 * The roots are options so that tests can build a fake sysfs and procfs in a temp dir.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { UserError } from '../build/core/errors.js';

/** What inspection found out about a device; `gatherDeviceFacts` reads it, `findDeviceProblems` judges it. */
export interface DeviceFacts {
  /** The path as given. */
  path: string;
  kind: 'block' | 'file' | 'other';
  /** The kernel's name (sdb, mmcblk0), from the path with symlinks resolved. */
  name: string;
  /** sysfs `removable` is 1, or the device hangs off a USB bus (USB disks often say 0). */
  removable: boolean;
  /** Size in bytes: sysfs `size` × 512 for a block device, stat for a file. */
  size: number;
  /** The device and its partitions by kernel name. */
  partitions: string[];
  /** Mount points of the device or any of its partitions. */
  mountPoints: string[];
  /** Devices stacked on it (dm-crypt, LVM, RAID): sysfs `holders`. */
  holders: string[];
}

export interface InspectOptions {
  /** Where sysfs is mounted; /sys unless a test says otherwise. */
  sysRoot?: string;
  /** Where procfs is mounted; /proc unless a test says otherwise. */
  procRoot?: string;
}

export interface CheckOptions {
  imageSize: number;
  /** Allows a regular file and a non-removable disk; never a mounted or held one. */
  force?: boolean;
}

/** One reason not to write; `overridable` ones give way to --force. */
export interface DeviceProblem {
  reason: string;
  fix: string;
  overridable: boolean;
}

/** Reads everything the checks need; a missing sysfs entry reads as "not removable, no partitions". */
export async function gatherDeviceFacts(path: string, options: InspectOptions = {}): Promise<DeviceFacts> {
  const sysRoot = options.sysRoot ?? '/sys';
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`cannot open the device ${path}: ${error.code ?? error.message}`, { hint: 'lsblk lists the block devices; pass the whole disk, e.g. --device /dev/sdb' });
  });
  const kind = info.isBlockDevice() ? 'block' : info.isFile() ? 'file' : 'other';
  // /dev/disk/by-id/usb-... is a symlink to /dev/sdX, and sysfs knows the device as sdX.
  const real = await realpath(path);
  const name = basename(real);
  const entry = join(sysRoot, 'class/block', name);
  const sys = await readSysfsEntry(entry, sysRoot, name);
  // A regular file is sized by stat even if a sysfs entry of the same name exists: its sysfs
  // entry can only add checks (partitions, holders), never make a file look bigger.
  const size = kind === 'block' ? sys.sectors * 512 : info.size;
  const devices = [name, ...sys.partitions];
  const mountPoints = await findMountPoints({ procRoot: options.procRoot ?? '/proc', paths: devices.map((part) => join(dirname(real), part)), numbers: sys.numbers });
  return { path, kind, name, removable: sys.removable, size, partitions: sys.partitions, mountPoints, holders: sys.holders };
}

interface SysfsEntry {
  removable: boolean;
  sectors: number;
  partitions: string[];
  holders: string[];
  /** major:minor of the device and its partitions, as mountinfo's third field lists them. */
  numbers: string[];
}

async function readSysfsEntry(entry: string, sysRoot: string, name: string): Promise<SysfsEntry> {
  const read = (file: string) => readFile(join(entry, file), 'utf8').then((text) => text.trim(), () => undefined);
  const children = await readdir(entry, { withFileTypes: true }).catch(() => []);
  // Partitions are subdirectories named after the disk: sdb1, mmcblk0p1, nvme0n1p1.
  const partitions = children.filter((child) => child.name.startsWith(name) && !child.isFile()).map((child) => child.name).sort();
  const holders = [...await listDir(join(entry, 'holders')), ...(await Promise.all(partitions.map((part) => listDir(join(entry, part, 'holders'))))).flat()];
  const numbers = (await Promise.all([read('dev'), ...partitions.map((part) => read(`${part}/dev`))])).filter((value): value is string => value !== undefined);
  // /sys/class/block/sdb links to /sys/devices/pci.../usb2/2-1/.../block/sdb for a USB disk.
  const root = await realpath(sysRoot).catch(() => sysRoot);
  const target = await realpath(entry).then((resolved) => `/${relative(root, resolved)}`, () => '');
  return { removable: (await read('removable')) === '1' || target.includes('/usb'), sectors: Number(await read('size') ?? 0), partitions, holders, numbers };
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Mount points whose source is one of `paths` or whose device number is one of `numbers`. */
async function findMountPoints(options: { procRoot: string; paths: string[]; numbers: string[] }): Promise<string[]> {
  const mountinfo = await readFile(join(options.procRoot, 'self/mountinfo'), 'utf8').catch(() => undefined);
  if (mountinfo !== undefined) {
    // "36 35 8:17 / /media/usb rw,relatime shared:1 - ext4 /dev/sdb1 rw" (proc(5)).
    return mountinfo.split('\n').flatMap((line) => {
      const fields = line.split(' ');
      const dash = fields.indexOf('-');
      const source = dash < 0 ? undefined : fields[dash + 2];
      const matches = options.numbers.includes(fields[2] ?? '') || options.paths.includes(source ?? '');
      return matches && fields[4] ? [unescapeMountPath(fields[4])] : [];
    });
  }
  const mounts = await readFile(join(options.procRoot, 'mounts'), 'utf8').catch(() => '');
  return mounts.split('\n').flatMap((line) => {
    const [source, point] = line.split(' ');
    return source && point && options.paths.includes(source) ? [unescapeMountPath(point)] : [];
  });
}

/** The kernel writes a space in a mount point as \040 (proc(5)). */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Every reason not to write the image to this device; pure, so tests can feed it any facts. */
export function findDeviceProblems(facts: DeviceFacts, options: Pick<CheckOptions, 'imageSize'>): DeviceProblem[] {
  const problems: DeviceProblem[] = [];
  if (facts.kind === 'other') problems.push({ reason: 'it is neither a block device nor a regular file', fix: 'pass the whole disk, e.g. --device /dev/sdb (lsblk lists them)', overridable: false });
  if (facts.kind === 'file') problems.push({ reason: 'it is a regular file, not a block device', fix: 'pass the stick, e.g. --device /dev/sdb; to write into a file on purpose, add --force', overridable: true });
  if (facts.kind === 'block' && !facts.removable) problems.push({ reason: 'it is not removable (sysfs removable is 0 and it is not on USB), so it may be a system disk', fix: 'check with lsblk that it is the stick; if it is, add --force', overridable: true });
  if (facts.mountPoints.length > 0) problems.push({ reason: `it is mounted on ${facts.mountPoints.join(', ')}; --force does not override this`, fix: `unmount it first: umount ${facts.mountPoints.join(' ')}`, overridable: false });
  if (facts.holders.length > 0) problems.push({ reason: `it is in use by ${facts.holders.join(', ')} (dm-crypt, LVM or RAID); --force does not override this`, fix: 'close or stop what holds it (cryptsetup close, vgchange -an, mdadm --stop)', overridable: false });
  if (facts.size < options.imageSize) problems.push({ reason: `it holds ${facts.size} bytes but the image is ${options.imageSize} bytes`, fix: facts.kind === 'file' ? `use a bigger device, or grow the file: truncate -s ${options.imageSize} ${facts.path}` : 'use a bigger stick', overridable: false });
  return problems;
}

/** Inspects the device and throws one UserError naming every problem that --force does not waive. */
export async function assertWritableDevice(path: string, options: InspectOptions & CheckOptions): Promise<DeviceFacts> {
  const facts = await gatherDeviceFacts(path, options);
  const problems = findDeviceProblems(facts, options).filter((problem) => !(options.force && problem.overridable));
  if (problems.length > 0) {
    throw new UserError(`refusing to write to ${path}: ${problems.map((problem) => problem.reason).join('; ')}`, { hint: problems.map((problem) => problem.fix).join('; ') });
  }
  return facts;
}
