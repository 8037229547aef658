import test from 'ava';
import { getBoard } from '../../board/index.js';
import { aptSourceLines, mmdebstrapArgs } from '../../rootfs/bootstrap.js';
import { basePackages } from '../../rootfs/packages.js';

const spec = {
  bootstrapper: 'mmdebstrap' as const,
  suite: 'trixie',
  arch: 'armhf',
  mirror: 'http://mirror.example/debian',
  securityMirror: 'http://mirror.example/debian-security',
  withUpdates: true,
  packages: ['systemd', 'udev'],
};

test('the image gets the suite, its updates and its security updates', (t) => {
  t.deepEqual(aptSourceLines(spec), [
    'deb http://mirror.example/debian trixie main',
    'deb http://mirror.example/debian trixie-updates main',
    'deb http://mirror.example/debian-security trixie-security main',
  ]);
  t.is(aptSourceLines({ ...spec, securityMirror: undefined }).length, 2);
});

test('mmdebstrap writes a tarball for the architecture with the package set, printing apt\'s and dpkg\'s output for the progress', (t) => {
  t.deepEqual(mmdebstrapArgs(spec, '/c/base.tar'), [
    'mmdebstrap', '--verbose', '--variant=minbase', '--architectures=armhf', '--mode=root', '--format=tar', '--include=systemd,udev',
    '--aptopt=Acquire::Retries "3"', 'trixie', '/c/base.tar', ...aptSourceLines(spec),
  ]);
});

test('router boards get the flash tools and their kernel; x86 gets systemd-boot and no flash tools', (t) => {
  const router = basePackages(getBoard('wrt1900ac-v1'));
  for (const name of ['linux-image-armmp', 'mtd-utils', 'libubootenv-tool', 'u-boot-tools', 'openssh-server', 'nftables', 'initramfs-tools']) t.true(router.includes(name), name);
  const x86 = basePackages(getBoard('x86-64'), ['mariadb-server']);
  t.true(x86.includes('linux-image-amd64') && x86.includes('systemd-boot-efi') && x86.includes('mariadb-server'));
  t.false(x86.includes('mtd-utils'));
  t.deepEqual(x86, [...new Set(x86)].sort());
});
