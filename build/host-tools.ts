/**
 * The host prerequisites of each board: which programs and files `build` and `boot` need, and
 * the Debian package that provides each. Checks look on PATH and in /proc; nothing is run but
 * dpkg-query for versions.
 */
import { access, readFile } from 'node:fs/promises';
import type { Board } from '../board/board.js';
import type { Bootstrapper } from '../rootfs/bootstrap.js';
import { findExecutable } from './core/exec.js';

/** `build` fails without a required prerequisite; `boot` and flashing need the optional ones. */
export type Need = 'required' | 'optional';

export interface Prerequisite {
  /** What is checked: a program name, or a file. */
  name: string;
  kind: 'program' | 'file' | 'binfmt' | 'node';
  /** Debian package that provides it. */
  debianPackage: string;
  /** What McDebian uses it for. */
  purpose: string;
  need: Need;
  /** Extra packages the fix needs besides debianPackage (binfmt-support with qemu-user-static). */
  alsoInstall?: string[];
}

/** Which Debian architectures this host runs natively. */
function isNative(arch: string, hostArch: string): boolean {
  return arch === hostArch || (hostArch === 'arm64' && arch === 'armhf');
}

/** The prerequisites for building (and booting) one board on a host of `hostArch` (Debian naming). */
export function prerequisitesFor(board: Board, options: { bootstrapper: Bootstrapper; hostArch: string }): Prerequisite[] {
  const list: Prerequisite[] = [
    { name: 'node', kind: 'node', debianPackage: 'nodejs', purpose: 'runs McDebian (Node.js >= 20.19)', need: 'required' },
    options.bootstrapper === 'mmdebstrap'
      ? { name: 'mmdebstrap', kind: 'program', debianPackage: 'mmdebstrap', purpose: 'bootstraps the root filesystem', need: 'required' }
      : { name: 'debootstrap', kind: 'program', debianPackage: 'debootstrap', purpose: 'bootstraps the root filesystem', need: 'required' },
    { name: 'xz', kind: 'program', debianPackage: 'xz-utils', purpose: 'reads the Debian kernel package for the flash budget', need: 'required' },
    { name: 'ssh-keygen', kind: 'program', debianPackage: 'openssh-client', purpose: 'makes the callhome overlay\'s tunnel key when none is given', need: 'optional' },
    { name: 'charon-systemd', kind: 'program', debianPackage: 'charon-systemd', purpose: 'loads the vpn-azure overlay\'s connections into a throwaway charon at build time', need: 'optional' },
    { name: 'swanctl', kind: 'program', debianPackage: 'strongswan-swanctl', purpose: 'loads the vpn-azure overlay\'s connections into that charon', need: 'optional' },
    { name: 'nft', kind: 'program', debianPackage: 'nftables', purpose: 'checks the vpn-azure overlay\'s firewall table at build time', need: 'optional' },
    { name: 'mke2fs', kind: 'program', debianPackage: 'e2fsprogs', purpose: 'makes rootfs.ext4 from a directory', need: 'required' },
    { name: 'sfdisk', kind: 'program', debianPackage: 'fdisk', purpose: 'partitions usb.img / disk.img', need: 'required' },
  ];
  if (!isNative(board.arch, options.hostArch)) {
    const emulator = board.arch === 'armhf' ? 'qemu-arm' : 'qemu-x86_64';
    list.push(
      { name: `${emulator}-static`, kind: 'program', debianPackage: 'qemu-user-static', purpose: `runs ${board.arch} programs in the target during the build`, need: 'required' },
      { name: 'arch-test', kind: 'program', debianPackage: 'arch-test', purpose: 'lets mmdebstrap check that foreign binaries run', need: 'required' },
      { name: emulator, kind: 'binfmt', debianPackage: 'qemu-user-static', alsoInstall: ['binfmt-support'], purpose: `binfmt_misc entry that lets the kernel run ${board.arch} binaries`, need: 'required' },
    );
  }
  if (board.uimage) list.push({ name: 'mkimage', kind: 'program', debianPackage: 'u-boot-tools', purpose: 'makes the multi-file uImage', need: 'required' });
  if (board.dtb?.source === 'debian-kernel') list.push({ name: 'fdtget', kind: 'program', debianPackage: 'device-tree-compiler', purpose: 'checks the appended DTB\'s compatible string', need: 'required' });
  if (board.ubootConsole) {
    list.push({ name: 'in.tftpd', kind: 'program', debianPackage: 'tftpd-hpa', purpose: 'the TFTP server of mcdebian flash tftp', need: 'optional' });
  }
  if (board.bootMethod === 'uefi') {
    list.push(
      { name: 'mkfs.fat', kind: 'program', debianPackage: 'dosfstools', purpose: 'makes the EFI system partition', need: 'required' },
      { name: 'mcopy', kind: 'program', debianPackage: 'mtools', purpose: 'fills the EFI system partition without mounting it', need: 'required' },
      { name: 'qemu-system-x86_64', kind: 'program', debianPackage: 'qemu-system-x86', purpose: 'mcdebian boot', need: 'optional' },
      { name: 'qemu-img', kind: 'program', debianPackage: 'qemu-utils', purpose: 'copy-on-write overlay for mcdebian boot', need: 'optional' },
      { name: '/usr/share/OVMF/OVMF_CODE_4M.fd', kind: 'file', debianPackage: 'ovmf', purpose: 'UEFI firmware for mcdebian boot', need: 'optional' },
    );
  }
  if (board.bootMethod === 'qemu-uimage') {
    list.push(
      { name: 'qemu-system-arm', kind: 'program', debianPackage: 'qemu-system-arm', purpose: 'dumps the virt DTB; mcdebian boot', need: 'required' },
      { name: '/usr/lib/u-boot/qemu_arm/u-boot.bin', kind: 'file', debianPackage: 'u-boot-qemu', purpose: 'the U-Boot that boots the uImage in mcdebian boot', need: 'optional' },
      { name: 'qemu-img', kind: 'program', debianPackage: 'qemu-utils', purpose: 'copy-on-write overlay for mcdebian boot', need: 'optional' },
      { name: 'mkfs.fat', kind: 'program', debianPackage: 'dosfstools', purpose: 'the kernel slot disk of mcdebian boot', need: 'optional' },
      { name: 'mcopy', kind: 'program', debianPackage: 'mtools', purpose: 'fills the kernel slot disk without mounting it', need: 'optional' },
    );
  }
  return list;
}

export interface CheckResult {
  prerequisite: Prerequisite;
  ok: boolean;
  /** Where it was found, or why it is not usable. */
  detail: string;
}

export interface CheckEnvironment {
  path: string;
  /** Where binfmt_misc is mounted; /proc/sys/fs/binfmt_misc on Linux. */
  binfmtDir: string;
  nodeVersion: string;
}

/** Checks one prerequisite against the host. */
export async function checkPrerequisite(prerequisite: Prerequisite, env: CheckEnvironment): Promise<CheckResult> {
  const result = (ok: boolean, detail: string): CheckResult => ({ prerequisite, ok, detail });
  switch (prerequisite.kind) {
    case 'node': {
      const [major = 0, minor = 0] = env.nodeVersion.replace(/^v/, '').split('.').map(Number);
      return result(major > 20 || (major === 20 && minor >= 19), `Node.js ${env.nodeVersion}`);
    }
    case 'program': {
      const found = await findExecutable(prerequisite.name, env.path);
      return result(found !== undefined, found ?? 'not on PATH');
    }
    case 'file':
      return access(prerequisite.name).then(() => result(true, prerequisite.name), () => result(false, 'not installed'));
    case 'binfmt': {
      const entry = `${env.binfmtDir}/${prerequisite.name}`;
      const text = await readFile(entry, 'utf8').catch(() => undefined);
      if (text === undefined) return result(false, `${entry} is not registered`);
      return result(text.startsWith('enabled'), text.startsWith('enabled') ? `${entry} enabled` : `${entry} is disabled`);
    }
  }
}
