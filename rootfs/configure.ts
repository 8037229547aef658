/**
 * The base configuration of every image, rendered as files (a pure function of the config and
 * the board): hostname, fstab by UUID, apt sources with security updates, SSH by key only,
 * systemd-networkd for the board's network layout, the serial getty, fw_env.config, the boot
 * health check that resets the s_env boot counter, and the initramfs settings that find the USB
 * root whatever root= the stock U-Boot passes.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../board/board.js';
import { exists, partialPath, publish } from '../build/core/stage-cache.js';
import { buildOnce } from '../build/core/stage-lock.js';
import type { Step } from '../build/core/step.js';

/** One file (or symlink, or directory) of the configuration layer. */
export interface LayerFile {
  /** Absolute path inside the image. */
  path: string;
  content?: string;
  /** Symlink target instead of content. */
  symlink?: string;
  /** Copy this file of rootfs/files/ instead of content. */
  source?: string;
  /** Copy this file of the build host (the user's `files:` tree); its hash puts its content into the layer's key. */
  hostFile?: { path: string; sha256: string };
  /**
   * A directory of the user's tree: its mode applies only where the image has no such directory
   * yet, so a tree made under umask 077 cannot turn the image's /etc into 0700.
   */
  modeIfNew?: boolean;
  mode: number;
  /** Set on secrets: the manifest lists the path and where it came from, never the content. */
  secret?: { overlay: string; field: string; source: string };
}

export interface BaseConfigInput {
  board: Board;
  hostname: string;
  suite: string;
  mirror: string;
  securityMirror?: string;
  users: { name: string; authorizedKeys: { key: string }[] }[];
  network: {
    lan: { address: string };
    wan: { mode: 'dhcp' } | { mode: 'static'; address: string; gateway: string };
    dns: string[];
  };
  /** Filesystem UUID of the root filesystem. */
  rootUuid: string;
}

/** The rendered layer: its files, and the units to enable in the target. */
export interface BaseConfig {
  files: LayerFile[];
  units: string[];
}

/** Seconds the initramfs waits for the USB stick to appear. */
const ROOT_DELAY = 30;

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });

export function renderBaseConfig(input: BaseConfigInput): BaseConfig {
  const { board } = input;
  const files: LayerFile[] = [
    file('/etc/hostname', `${input.hostname}\n`),
    file('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${input.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`),
    file('/etc/fstab', `# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=${input.rootUuid}\t/\text4\terrors=remount-ro,noatime\t0\t1\n`),
    file('/etc/apt/sources.list.d/debian.sources', renderAptSources(input)),
    { path: '/etc/ssh/sshd_config.d/mcdebian.conf', source: 'sshd-mcdebian.conf', mode: 0o644 },
    {
      path: `/etc/systemd/system/getty.target.wants/serial-getty@${board.console.device}.service`,
      symlink: '/usr/lib/systemd/system/serial-getty@.service',
      mode: 0o777,
    },
    ...renderNetwork(input),
    ...renderInitramfs(input),
    ...renderUsers(input),
  ];
  // SSH host keys are not baked in: Debian's sshd-keygen.service makes them on first boot
  const units = ['systemd-networkd.service', 'systemd-resolved.service'];
  if (board.ubootEnv) {
    files.push(...renderFwEnv(board));
    // the stand-in's partitions have fixed names in /dev/disk/by-partlabel: nothing to rewrite
    if (board.nand) units.push('mcdebian-fw-env.service');
  }
  if (board.bootCounter) {
    files.push(...renderBootHealth(board));
    units.push('mcdebian-boot-health.service');
  }
  return { files, units };
}

function renderAptSources(input: BaseConfigInput): string {
  const stanza = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  const parts = [stanza(input.mirror, `${input.suite} ${input.suite}-updates`)];
  if (input.securityMirror) parts.push(stanza(input.securityMirror, `${input.suite}-security`));
  return parts.join('\n');
}

function renderNetwork(input: BaseConfigInput): LayerFile[] {
  const dir = '/etc/systemd/network';
  const dns = input.network.dns.map((server) => `DNS=${server}\n`).join('');
  if (input.board.network.kind === 'single') {
    return [file(`${dir}/10-ethernet.network`, `[Match]\nType=ether\nName=en* eth*\n\n[Network]\nDHCP=yes\n${dns}`)];
  }
  const { lanPorts, wanPort } = input.board.network;
  const wan = input.network.wan.mode === 'dhcp'
    ? 'DHCP=ipv4\n'
    : `Address=${input.network.wan.address}\nGateway=${input.network.wan.gateway}\n`;
  return [
    file(`${dir}/10-br0.netdev`, '[NetDev]\nName=br0\nKind=bridge\n'),
    file(`${dir}/20-lan-ports.network`, `[Match]\nName=${lanPorts.join(' ')}\n\n[Network]\nBridge=br0\n`),
    file(`${dir}/30-br0.network`, `[Match]\nName=br0\n\n[Network]\nAddress=${input.network.lan.address}\nConfigureWithoutCarrier=yes\n`),
    file(`${dir}/40-wan.network`, `[Match]\nName=${wanPort}\n\n[Network]\n${wan}${dns}`),
  ];
}

function renderInitramfs(input: BaseConfigInput): LayerFile[] {
  // crc32c: ext4's metadata checksums need it, and it is a module in armmp
  const modules = [...input.board.rootModules, 'crc32c'];
  return [
    file('/etc/initramfs-tools/modules', `# McDebian: what the initramfs needs to reach the root filesystem on ${input.board.name}\n${modules.join('\n')}\n`),
    // MODULES=list and zstd -19 keep the initramfs small: it shares the NAND read window with
    // the kernel (zstd is in the base set; xz is not)
    file('/etc/initramfs-tools/conf.d/mcdebian.conf', 'MODULES=list\nCOMPRESS=zstd\nCOMPRESSLEVEL=19\n'),
    file('/etc/initramfs-tools/mcdebian-root.conf', `MCDEBIAN_ROOT='UUID=${input.rootUuid}'\nMCDEBIAN_ROOTDELAY='${ROOT_DELAY}'\n`),
    { path: '/etc/initramfs-tools/scripts/init-top/mcdebian-root', source: 'mcdebian-root', mode: 0o755 },
    // boards with kernel slots take a root filesystem update from flash sftp --rootfs
    ...(input.board.kernelSlots ? [{ path: '/etc/initramfs-tools/scripts/local-bottom/mcdebian-rootfs-swap', source: 'mcdebian-rootfs-swap', mode: 0o755 }] : []),
    { path: '/etc/initramfs-tools/hooks/mcdebian-root', source: 'mcdebian-root-hook', mode: 0o755 },
  ];
}

/**
 * Root's keys go to /root/.ssh (and /root stays 0700, as Debian makes it: the layer's directory
 * modes replace the base's). Other users' keys go to /etc/ssh/authorized_keys/<name>, which
 * sshd-mcdebian.conf names, so that useradd still creates their homes from /etc/skel.
 */
function renderUsers(input: BaseConfigInput): LayerFile[] {
  const keysOf = (user: BaseConfigInput['users'][number]) => `${user.authorizedKeys.map((key) => key.key).join('\n')}\n`;
  const files: LayerFile[] = [{ path: '/root', mode: 0o700 }];
  for (const user of input.users) {
    if (user.name === 'root') files.push({ path: '/root/.ssh', mode: 0o700 }, file('/root/.ssh/authorized_keys', keysOf(user), 0o600));
    else files.push(file(`/etc/ssh/authorized_keys/${user.name}`, keysOf(user), 0o644));
  }
  return files;
}

function renderFwEnv(board: Board): LayerFile[] {
  const env = board.ubootEnv!;
  const hex = (n: number) => `0x${n.toString(16)}`;
  const geometry = `${hex(env.offset)} ${hex(env.size)} ${hex(env.sectorSize)}`;
  if (!board.nand) {
    if (!board.flashStandIn) throw new Error(`${board.id} has a U-Boot environment but neither a NAND nor a flash stand-in`);
    // a GPT partition named as the MTD one (flash/stand-in.ts); libubootenv reads and writes a block device as it is
    return [file('/etc/fw_env.config', `# ${env.partition} of ${board.name}: the stand-in disk's GPT partition\n/dev/disk/by-partlabel/${env.partition} ${geometry}\n`)];
  }
  const index = board.nand.partitions.findIndex((p) => p.name === env.partition);
  return [
    // the device-tree order; corrected at boot from /proc/mtd by mcdebian-fw-env.service
    file('/etc/fw_env.config', `# ${env.partition} of ${board.name}; rewritten at boot from /proc/mtd\n/dev/mtd${index} ${geometry}\n`),
    file('/etc/mcdebian/fw_env.geometry', `${env.partition} ${geometry}\n`),
    { path: '/usr/libexec/mcdebian/fw-env-config', source: 'fw-env-config', mode: 0o755 },
    { path: '/etc/systemd/system/mcdebian-fw-env.service', source: 'mcdebian-fw-env.service', mode: 0o644 },
  ];
}

/**
 * The s_env boot counter is reset only by a healthy boot (flash/README.md, "The s_env boot
 * counter"): mcdebian-bootcount reads and resets the log on the MTD partition or the stand-in's
 * GPT partition, and mcdebian-boot-health.service runs it after the boot once the checks (and
 * health.d) pass.
 */
function renderBootHealth(board: Board): LayerFile[] {
  const counter = board.bootCounter!;
  return [
    { path: '/usr/sbin/mcdebian-bootcount', source: 'mcdebian-bootcount', mode: 0o755 },
    { path: '/usr/libexec/mcdebian/boot-health', source: 'mcdebian-boot-health', mode: 0o755 },
    { path: '/etc/systemd/system/mcdebian-boot-health.service', source: 'mcdebian-boot-health.service', mode: 0o644 },
    file('/etc/mcdebian/bootcount.conf', `# the s_env boot counter of ${board.name}, for mcdebian-bootcount\npartition=${counter.partition}\nstride=${counter.recordStride}\n`),
    { path: '/etc/mcdebian/health.d', mode: 0o755 },
  ];
}

/** rootfs/files/, beside the compiled module's source tree. */
const FILES_DIR = fileURLToPath(new URL('../../rootfs/files/', import.meta.url));

/** Writes the layer's files under `dir` (a fresh directory). */
export async function writeLayer(files: readonly LayerFile[], dir: string): Promise<void> {
  for (const entry of files) {
    const target = join(dir, entry.path);
    await mkdir(dirname(target), { recursive: true });
    if (entry.symlink !== undefined) await symlink(entry.symlink, target);
    else if (entry.source !== undefined) await copyFile(join(FILES_DIR, entry.source), target);
    else if (entry.hostFile !== undefined) await copyFile(entry.hostFile.path, target);
    else if (entry.content !== undefined) await writeFile(target, entry.content);
    else await mkdir(target, { recursive: true });
    if (entry.symlink === undefined) await chmod(target, entry.mode);
  }
}

/** Renders the configuration layer into the stage cache (reused when its key is cached). */
export function configureStep(config: BaseConfig, options: { dir: string; key: string; cached: boolean; summary: string[] }): Step {
  return {
    id: 'configure',
    title: 'Render the configuration layer',
    commands: [],
    writes: [options.dir],
    cacheKey: options.key,
    cached: options.cached,
    notes: [`files: ${config.files.map((entry) => entry.path).join(' ')}`, `units enabled: ${config.units.join(' ')}`, ...options.summary],
    run: async (ctx) => {
      if (options.cached) return;
      await buildOnce({
        entry: options.dir,
        what: `the configuration layer ${options.key.slice(0, 12)}`,
        isDone: () => exists(options.dir),
        build: async () => {
          const partial = partialPath(options.dir);
          ctx.defer(() => rm(partial, { recursive: true, force: true }), `remove ${partial}`);
          await rm(partial, { recursive: true, force: true });
          await writeLayer(config.files, partial);
          await publish(partial, options.dir);
        },
        logger: ctx.logger,
        signal: ctx.signal,
      });
    },
  };
}

/** sha256 over every file in rootfs/files/, by name and content: part of the layer's cache key. */
export async function hashLayerSources(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(FILES_DIR)).sort()) hash.update(name).update('\0').update(await readFile(join(FILES_DIR, name))).update('\0');
  return hash.digest('hex');
}
