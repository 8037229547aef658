/**
 * Bootstraps the base root filesystem: mmdebstrap by default, debootstrap (--foreign, then its
 * second stage under QEMU user emulation) as the alternative. Reads the suite, architecture,
 * mirrors and package set; writes the base tarball in the stage cache.
 */

export type Bootstrapper = 'mmdebstrap' | 'debootstrap';

/** Everything the bootstrap depends on; hashed into the base stage's cache key. */
export interface BootstrapSpec {
  bootstrapper: Bootstrapper;
  suite: string;
  arch: string;
  mirror: string;
  securityMirror?: string;
  packages: readonly string[];
}

/** The apt source lines of the image: the suite, its updates and its security updates. */
export function aptSourceLines(spec: Pick<BootstrapSpec, 'suite' | 'mirror' | 'securityMirror'>): string[] {
  const lines = [`deb ${spec.mirror} ${spec.suite} main`, `deb ${spec.mirror} ${spec.suite}-updates main`];
  if (spec.securityMirror) lines.push(`deb ${spec.securityMirror} ${spec.suite}-security main`);
  return lines;
}

/** mmdebstrap writing a sorted, reproducible tarball (SOURCE_DATE_EPOCH comes from the environment). */
export function mmdebstrapArgs(spec: BootstrapSpec, output: string): string[] {
  return [
    'mmdebstrap',
    '--variant=minbase',
    `--architectures=${spec.arch}`,
    '--mode=root',
    '--format=tar',
    `--include=${spec.packages.join(',')}`,
    '--aptopt=Acquire::Retries "3"',
    spec.suite,
    output,
    ...aptSourceLines(spec),
  ];
}

/** debootstrap's first stage; the second runs inside the target under qemu-user. */
export function debootstrapArgs(spec: BootstrapSpec, target: string): string[][] {
  return [
    ['debootstrap', '--foreign', '--variant=minbase', `--arch=${spec.arch}`, `--include=${spec.packages.join(',')}`, spec.suite, target, spec.mirror],
    ['chroot', target, '/debootstrap/debootstrap', '--second-stage'],
  ];
}
