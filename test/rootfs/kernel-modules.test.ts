import test from 'ava';
import { moduleName, parseBuiltin, parseModinfo, readModinfo, readModuleInfos, resolveModuleClosure, type ModuleFile, type ModuleInfo } from '../../rootfs/kernel-modules.js';
import { elfModule, xzModule, type ElfOptions } from '../helpers/kernel-module.js';

const MODINFO = ['license=GPL', 'depends=jbd2,mbcache,crc16', 'softdep=pre: crc32c', 'alias=fs-ext4', 'name=ext4', 'vermagic=6.12.118+deb13-armmp SMP mod_unload ARMv7 p2v8 '];

const readsModinfo = test.macro({
  exec(t, options: ElfOptions) {
    t.deepEqual(readModinfo(elfModule(MODINFO, options)), MODINFO);
  },
  title: (_, options: ElfOptions) => `the .modinfo strings are read from an ELF${options.is64 ? '64' : '32'} ${options.bigEndian ? 'big' : 'little'}-endian module`,
});
test(readsModinfo, {});
test(readsModinfo, { bigEndian: true });
test(readsModinfo, { is64: true });
test(readsModinfo, { is64: true, bigEndian: true });

test('a file that is not ELF is refused', (t) => {
  t.throws(() => readModinfo(Buffer.from('#!/bin/sh\n')), { message: 'not an ELF file' });
});

test('modinfo gives the dependencies, both sides of the soft dependencies, weak dependencies and aliases', (t) => {
  t.deepEqual(parseModinfo([...MODINFO, 'softdep=pre: crc32c post: crypto_user', 'weakdep=zstd_decompress']), {
    depends: ['jbd2', 'mbcache', 'crc16'],
    softdeps: ['crc32c', 'crc32c', 'crypto_user'],
    weakdeps: ['zstd_decompress'],
    aliases: ['fs-ext4'],
  });
  t.deepEqual(parseModinfo(['depends=']).depends, []);
});

test('a module is named by its file, with - and _ alike', (t) => {
  t.is(moduleName('/usr/lib/modules/6.12/kernel/drivers/usb/host/xhci-pci.ko.xz'), 'xhci_pci');
  t.is(moduleName('/lib/modules/6.12/kernel/fs/ext4/ext4.ko'), 'ext4');
});

/** A module index from { path: relations }, each module's data `bytes` long. */
function moduleIndex(modules: Record<string, Partial<ModuleInfo> & { bytes?: number }>, builtin: string[] = [], builtinAliases: string[] = []) {
  const files: ModuleFile[] = Object.entries(modules).map(([path, { bytes = 100 }]) => ({ path: `/usr/lib/modules/6.12/kernel/${path}`, data: Buffer.alloc(bytes) }));
  const infos = new Map(Object.entries(modules).map(([path, info]) => [`/usr/lib/modules/6.12/kernel/${path}`, { depends: [], softdeps: [], weakdeps: [], aliases: [], ...info }]));
  return { files, infos, builtin: new Set(builtin), builtinAliases: new Set(builtinAliases) };
}

const INDEX = moduleIndex({
  'fs/ext4/ext4.ko.xz': { depends: ['jbd2', 'mbcache', 'crc16'], softdeps: ['crc32c'], bytes: 400_000 },
  'fs/jbd2/jbd2.ko.xz': { bytes: 60_000 },
  'fs/mbcache.ko.xz': { bytes: 5_000 },
  'lib/crc16.ko.xz': { bytes: 1_500 },
  'crypto/crc32c_generic.ko.xz': { aliases: ['crypto-crc32c', 'crc32c', 'crc32c-generic'], bytes: 1_972 },
  'arch/arm/crypto/crc32-arm-ce.ko.xz': { aliases: ['crypto-crc32c', 'crc32c', 'crypto-crc32'], bytes: 3_016 },
  'drivers/usb/host/xhci-pci.ko.xz': { depends: ['xhci-hcd'], weakdeps: ['xhci_pci_renesas'], bytes: 9_000 },
  'drivers/usb/host/xhci-hcd.ko.xz': { depends: ['usbcore'], bytes: 150_000 },
  'drivers/usb/host/xhci-pci-renesas.ko.xz': { depends: ['xhci_hcd'], bytes: 4_000 },
  'drivers/usb/core/usbcore.ko.xz': { depends: ['usb-common'], bytes: 160_000 },
  'drivers/usb/common/usb-common.ko.xz': { bytes: 6_000 },
  'drivers/md/a.ko.xz': { depends: ['b'] },
  'drivers/md/b.ko.xz': { depends: ['a'] },
  'drivers/net/unrelated.ko.xz': { bytes: 1_000_000 },
}, ['virtio_blk'], ['virtio:d00000002v*']);

const namesOf = (closure: { modules: { name: string }[] }) => closure.modules.map((module) => module.name).sort();

test('a name pulls in its dependencies and soft dependencies, transitively, by alias where no module has the name', (t) => {
  const closure = resolveModuleClosure(INDEX, ['ext4']);
  t.deepEqual(namesOf(closure), ['crc16', 'crc32_arm_ce', 'crc32c_generic', 'ext4', 'jbd2', 'mbcache']);
  t.is(closure.modules.find((module) => module.name === 'ext4')?.bytes, 400_000);
  t.deepEqual(closure.missing, []);
});

test('weak dependencies are held too, and - or _ in a name finds the same module', (t) => {
  t.deepEqual(namesOf(resolveModuleClosure(INDEX, ['xhci_pci'])), ['usb_common', 'usbcore', 'xhci_hcd', 'xhci_pci', 'xhci_pci_renesas']);
  t.deepEqual(namesOf(resolveModuleClosure(INDEX, ['xhci-pci'])), namesOf(resolveModuleClosure(INDEX, ['xhci_pci'])));
});

test('built-in names and aliases are listed as built in, unknown names as missing, and nothing else is pulled in', (t) => {
  const closure = resolveModuleClosure(INDEX, ['virtio_blk', 'virtio:d00000002v00001AF4', 'nosuch']);
  t.deepEqual(closure, { modules: [], builtin: ['virtio:d00000002v00001AF4', 'virtio_blk'], missing: ['nosuch'] });
});

test('a dependency circle ends', (t) => {
  t.deepEqual(namesOf(resolveModuleClosure(INDEX, ['a'])), ['a', 'b']);
});

test('modules.builtin and the aliases of modules.builtin.modinfo are read', (t) => {
  const { builtin, builtinAliases } = parseBuiltin('kernel/drivers/virtio/virtio.ko\nkernel/lib/crc32.ko\n', 'virtio.license=GPL\0crc32.alias=crc32\0crc32.alias=crypto-crc32\0');
  t.deepEqual([...builtin], ['virtio', 'crc32']);
  t.deepEqual([...builtinAliases], ['crc32', 'crypto-crc32']);
});

test('module files as packaged, xz-compressed or plain, are all read', async (t) => {
  const files = [
    { path: '/usr/lib/modules/6.12/kernel/fs/ext4/ext4.ko.xz', data: await xzModule(elfModule(MODINFO)) },
    { path: '/usr/lib/modules/6.12/kernel/fs/jbd2/jbd2.ko', data: elfModule(['name=jbd2', 'depends=']) },
  ];
  const infos = await readModuleInfos(files);
  t.deepEqual(infos.get(files[0]!.path)?.depends, ['jbd2', 'mbcache', 'crc16']);
  t.deepEqual(infos.get(files[1]!.path), { depends: [], softdeps: [], weakdeps: [], aliases: [] });
});
