/**
 * What a running McDebian (or any Linux) device says about itself before it is flashed, read in
 * one SSH command and parsed here: the device tree's compatible string, the MTD partitions (or the
 * QEMU stand-in's GPT partitions), the U-Boot environment, the kernel command line (which slot
 * booted), the boot counter, the tools the flasher needs and the space to upload into.
 * Read-only: nothing here writes to the device.
 */

/** Where the upload goes: persistent (the USB root), so an interrupted upload resumes after a reconnect. */
export const UPLOAD_DIR = '/var/tmp/mcdebian-flash';

/** Tools the flasher runs on the device, by the kind of flash. */
export const DEVICE_TOOLS = ['fw_printenv', 'fw_setenv', 'sha256sum', 'dd', 'head', 'flash_erase', 'nandwrite', 'nanddump'] as const;

/** One section per fact, each introduced by a `== name` line. */
export const PROBE_SCRIPT = [
  'echo "== compatible"; tr "\\000" "\\n" < /proc/device-tree/compatible 2>/dev/null | head -n 1',
  'echo "== mtd"; cat /proc/mtd 2>/dev/null',
  'echo "== partlabels"; for p in /dev/disk/by-partlabel/*; do [ -e "$p" ] && echo "${p##*/} $(readlink -f "$p") $(blockdev --getsize64 "$p")"; done',
  'echo "== env"; fw_printenv 2>&1; echo "fw_printenv-exit $?"',
  'echo "== cmdline"; cat /proc/cmdline',
  'echo "== bootcount"; mcdebian-bootcount print --json 2>/dev/null',
  `echo "== tools"; for t in ${DEVICE_TOOLS.join(' ')} mcdebian-bootcount; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; fi; done`,
  `echo "== space"; mkdir -p ${UPLOAD_DIR} && df -P -B1 ${UPLOAD_DIR} | awk 'NR == 2 { print $4 }'`,
  'echo "== boot_id"; cat /proc/sys/kernel/random/boot_id',
  'echo "== rootuuid"; findmnt -n -o UUID /',
].join('\n');

export interface FlashPartitionFacts {
  name: string;
  /** /dev/mtdN, or the stand-in's block device. */
  device: string;
  size: number;
  /** The MTD erase size; undefined for a block device. */
  eraseSize?: number;
}

export interface DeviceFacts {
  compatible?: string;
  /** MTD partitions from /proc/mtd, in its order. */
  mtd: FlashPartitionFacts[];
  /** GPT partitions by PARTLABEL (the QEMU stand-in). */
  partlabels: FlashPartitionFacts[];
  /** fw_printenv's variables; undefined when it failed. */
  env?: Map<string, string>;
  /** fw_printenv's complaint when it failed (bad CRC, no config). */
  envError?: string;
  cmdline: string;
  /** The s_env counter as the device's mcdebian-bootcount reads it, when it has one. */
  bootCount?: number;
  tools: Set<string>;
  /** Free bytes where the upload goes. */
  freeBytes?: number;
  bootId: string;
  /** The UUID of the mounted root filesystem (the USB stick). */
  rootUuid?: string;
}

/** Splits a probe's output into its sections, by their `== name` lines; empty lines are dropped. */
export function splitSections(output: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const header = /^== (\w+)$/.exec(line);
    if (header) result.set(header[1]!, (current = []));
    else if (current && line !== '') current.push(line);
  }
  return result;
}

export function parseProbe(output: string): DeviceFacts {
  const parts = splitSections(output);
  const lines = (name: string) => parts.get(name) ?? [];
  const mtd = lines('mtd').flatMap((line) => {
    // mtd4: 02800000 00020000 "kernel1"
    const match = /^(mtd\d+): ([0-9a-f]+) ([0-9a-f]+) "(.*)"$/.exec(line);
    return match ? [{ name: match[4]!, device: `/dev/${match[1]}`, size: parseInt(match[2]!, 16), eraseSize: parseInt(match[3]!, 16) }] : [];
  });
  const partlabels = lines('partlabels').flatMap((line) => {
    const match = /^(\S+) (\S+) (\d+)$/.exec(line);
    return match ? [{ name: match[1]!, device: match[2]!, size: Number(match[3]) }] : [];
  });
  const envLines = lines('env');
  const exit = envLines.findLast((line) => line.startsWith('fw_printenv-exit '));
  const envBody = envLines.filter((line) => !line.startsWith('fw_printenv-exit '));
  const envOk = exit === 'fw_printenv-exit 0' && !envBody.some((line) => /bad CRC|Cannot|cannot/i.test(line));
  const env = envOk ? new Map(envBody.flatMap((line) => {
    const at = line.indexOf('=');
    return at > 0 ? [[line.slice(0, at), line.slice(at + 1)] as [string, string]] : [];
  })) : undefined;
  const bootcount = lines('bootcount').join('');
  let bootCount: number | undefined;
  try {
    const parsed = JSON.parse(bootcount) as { count?: unknown };
    if (typeof parsed.count === 'number') bootCount = parsed.count;
  } catch {
    bootCount = undefined;
  }
  const space = Number(lines('space')[0]);
  return {
    compatible: lines('compatible')[0],
    mtd,
    partlabels,
    env,
    envError: env ? undefined : envBody.join('; ') || 'fw_printenv printed nothing',
    cmdline: lines('cmdline')[0] ?? '',
    bootCount,
    tools: new Set(lines('tools')),
    freeBytes: Number.isFinite(space) ? space : undefined,
    bootId: lines('boot_id')[0] ?? '',
    rootUuid: lines('rootuuid')[0] || undefined,
  };
}
