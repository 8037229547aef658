import test from 'ava';
import { rootfsTarArgs, rootfsTarStep } from '../../build/rootfs-tar.js';

test('rootfs.tar is a sorted POSIX tar with numeric owners, one mtime, no atime or ctime, and file capabilities', (t) => {
  t.deepEqual(rootfsTarArgs({ rootfs: '/w/rootfs', output: '/o/rootfs.tar', sourceDateEpoch: 1767225600 }), [
    'tar', '--create',
    '--file', '/o/rootfs.tar',
    '--directory', '/w/rootfs',
    '--sort=name',
    '--numeric-owner',
    '--mtime=@1767225600',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--xattrs', '--xattrs-include=security.capability',
    '.',
  ]);
});

test('the planned tar step writes to the final directory and shows $SOURCE_DATE_EPOCH for the mtime', (t) => {
  const step = rootfsTarStep({ rootfs: '/w/rootfs', outDir: '/srv/out/.wrt1200ac.partial', finalDir: '/srv/out/wrt1200ac' });
  t.deepEqual(step.writes, ['/srv/out/wrt1200ac/rootfs.tar']);
  t.deepEqual(step.commands.map((command) => command.argv), [[
    'tar', '--create', '--file', '/srv/out/wrt1200ac/rootfs.tar', '--directory', '/w/rootfs', '--sort=name', '--numeric-owner',
    '--mtime=@$SOURCE_DATE_EPOCH', '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--xattrs', '--xattrs-include=security.capability', '.',
  ]]);
});
