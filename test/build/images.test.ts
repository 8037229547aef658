import test from 'ava';
import { diskRootfsSize, gptPartitionScript, mcopyArgs, mkfsFatArgs } from '../../build/disk-image.js';
import { mke2fsArgs } from '../../build/ext4.js';
import { ddArgs, sfdiskArgs, usbPartitionScript, usbRootfsSize } from '../../build/usb-image.js';

test('mke2fs makes the router root from a directory without 64bit, with fixed UUID and hash seed', (t) => {
  t.deepEqual(mke2fsArgs({ source: '/w/rootfs', output: '/o/rootfs.ext4', sizeBytes: 2 * 1024 ** 3 - 1024 ** 2, label: 'mcdebian-root', uuid: 'u', hashSeed: 's', ubootReadable: true }), [
    'mke2fs', '-t', 'ext4', '-F', '-q', '-L', 'mcdebian-root', '-U', 'u', '-E', 'hash_seed=s,root_owner=0:0', '-O', '^64bit', '-d', '/w/rootfs', '/o/rootfs.ext4', '2096128k',
  ]);
});

test('the x86 root keeps ext4\'s default features', (t) => {
  t.false(mke2fsArgs({ source: 's', output: 'o', sizeBytes: 1024 ** 3, label: 'l', uuid: 'u', hashSeed: 'h', ubootReadable: false }).includes('^64bit'));
});

test('the USB image is an MBR with one Linux partition from 1 MiB to the end', (t) => {
  t.is(usbPartitionScript({ sizeBytes: 2 * 1024 ** 3, diskId: '0a1b2c3d' }),
    'label: dos\nlabel-id: 0x0a1b2c3d\nunit: sectors\n\nstart=2048, size=4192256, type=83, bootable\n');
  t.is(usbRootfsSize(2 * 1024 ** 3), 2 * 1024 ** 3 - 1024 ** 2);
  t.deepEqual(sfdiskArgs('/o/usb.img'), ['sfdisk', '--no-reread', '--no-tell-kernel', '--quiet', '/o/usb.img']);
});

test('dd copies a filesystem into the disk at a MiB offset, keeping holes', (t) => {
  t.deepEqual(ddArgs({ input: 'a', output: 'b', offset: 257 * 1024 ** 2 }), ['dd', 'if=a', 'of=b', 'bs=1M', 'seek=257', 'conv=notrunc,sparse', 'status=none']);
  t.throws(() => ddArgs({ input: 'a', output: 'b', offset: 4096 }), { message: /not MiB-aligned/ });
});

test('the x86 disk is GPT with a 256 MiB ESP and an x86-64 root partition filling the rest', (t) => {
  const script = gptPartitionScript({ sizeBytes: 4 * 1024 ** 3, diskGuid: 'D', espGuid: 'E', rootGuid: 'R' });
  t.regex(script, /^label: gpt\nlabel-id: D\n/);
  t.regex(script, /start=2048, size=524288, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=E, name="ESP"/);
  t.regex(script, /start=526336, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=R, name="root"/);
  t.is(diskRootfsSize(4 * 1024 ** 3), 4 * 1024 ** 3 - 258 * 1024 ** 2);
});

test('the ESP is FAT32 filled by mcopy without a mount', (t) => {
  t.deepEqual(mkfsFatArgs({ output: 'esp.img', volumeId: '1234abcd' }), ['mkfs.fat', '-F', '32', '-n', 'ESP', '-i', '1234abcd', '-C', 'esp.img', '262144']);
  t.deepEqual(mcopyArgs({ image: 'esp.img', sourceDir: '/w/esp' }), ['mcopy', '-s', '-p', '-m', '-i', 'esp.img', '/w/esp/EFI', '/w/esp/loader', '/w/esp/mcdebian', '::/']);
});
