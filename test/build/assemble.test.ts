import test from 'ava';
import { assembleStep, inTargetCommands } from '../../build/assemble.js';
import { buildPaths } from '../../build/core/paths.js';

const UNITS = ['systemd-networkd.service', 'systemd-resolved.service', 'mcdebian-fw-env.service'];

test('with root only, the target locks root\'s password, enables the units and makes the initramfs for the kernel', (t) => {
  t.deepEqual(inTargetCommands({ units: UNITS, users: [] }, '/w/rootfs', '6.12.48+deb13-armmp'), [
    ['chroot', '/w/rootfs', 'systemd-sysusers'],
    ['chroot', '/w/rootfs', 'usermod', '--lock', 'root'],
    ['chroot', '/w/rootfs', 'systemctl', 'enable', 'systemd-networkd.service', 'systemd-resolved.service', 'mcdebian-fw-env.service'],
    ['chroot', '/w/rootfs', 'update-initramfs', '-c', '-k', '6.12.48+deb13-armmp'],
  ]);
});

test('other users are created with a home and bash, then given their .ssh, before root is locked', (t) => {
  t.deepEqual(inTargetCommands({ units: ['systemd-networkd.service'], users: ['ops', 'backup'] }, '/w/rootfs', '6.12.48+deb13-amd64'), [
    ['chroot', '/w/rootfs', 'systemd-sysusers'],
    ['chroot', '/w/rootfs', 'useradd', '--create-home', '--user-group', '--shell', '/bin/bash', 'ops'],
    ['chroot', '/w/rootfs', 'useradd', '--create-home', '--user-group', '--shell', '/bin/bash', 'backup'],
    ['chroot', '/w/rootfs', 'usermod', '--lock', 'root'],
    ['chroot', '/w/rootfs', 'systemctl', 'enable', 'systemd-networkd.service'],
    ['chroot', '/w/rootfs', 'update-initramfs', '-c', '-k', '6.12.48+deb13-amd64'],
  ]);
});

test('the planned assemble step extracts the base, copies the layer over it and shows the in-target work for the planned release', (t) => {
  const paths = buildPaths({ cache: '/c', board: 'wrt1200ac', outputDir: '/srv/out', keys: { base: 'b1', layer: '0123456789abcdef0123' } });
  const step = assembleStep({ paths, units: ['systemd-networkd.service'], users: [], plannedRelease: '<kernel-release>', initramfsCache: '/c/initramfs/i1.img' });
  t.is(step.id, 'assemble');
  t.deepEqual(step.writes, ['/c/work/wrt1200ac/0123456789abcdef/rootfs']);
  t.deepEqual(step.commands.map((command) => command.argv), [
    ['tar', '--extract', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--file', '/c/base/b1.tar', '--directory', '/c/work/wrt1200ac/0123456789abcdef/rootfs'],
    ['cp', '--archive', '/c/layer/0123456789abcdef0123/.', '/c/work/wrt1200ac/0123456789abcdef/rootfs/'],
    ['chroot', '/c/work/wrt1200ac/0123456789abcdef/rootfs', 'systemd-sysusers'],
    ['chroot', '/c/work/wrt1200ac/0123456789abcdef/rootfs', 'usermod', '--lock', 'root'],
    ['chroot', '/c/work/wrt1200ac/0123456789abcdef/rootfs', 'systemctl', 'enable', 'systemd-networkd.service'],
    ['chroot', '/c/work/wrt1200ac/0123456789abcdef/rootfs', 'update-initramfs', '-c', '-k', '<kernel-release>'],
  ]);
});
