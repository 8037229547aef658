import test from 'ava';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getBoard } from '../../board/index.js';
import { multiImageSize } from '../../build/budget.js';
import { runCommand } from '../../build/core/exec.js';
import { dumpDtbArgs } from '../../build/qemu.js';
import { mkimageArgs, uimageParts } from '../../build/uimage.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testWithTools } from '../helpers/tools.js';

const files = { zImage: 'z', dtb: 'd.dtb', initramfs: 'i', zImageWithDtb: 'zd' };

test('a WRT board\'s uImage is [zImage+DTB, initramfs] at 0x8000', (t) => {
  const board = getBoard('wrt1200ac');
  t.deepEqual(uimageParts(board, files), ['zd', 'i']);
  t.deepEqual(mkimageArgs(board, { parts: uimageParts(board, files), output: 'k.uimg', name: 'McDebian wrt1200ac' }), [
    'mkimage', '-A', 'arm', '-O', 'linux', '-T', 'multi', '-C', 'none', '-a', '0x00008000', '-e', '0x00008000',
    '-n', 'McDebian wrt1200ac', '-d', 'zd:i', 'k.uimg',
  ]);
});

test('the QEMU stand-in\'s uImage carries the DTB as its third part, loaded in virt RAM', (t) => {
  const board = getBoard('qemu-armhf');
  t.deepEqual(uimageParts(board, files), ['z', 'i', 'd.dtb']);
  const argv = mkimageArgs(board, { parts: uimageParts(board, files), output: 'k', name: 'x' });
  t.is(argv[argv.indexOf('-a') + 1], '0x40008000');
});

test('image names are cut to the 31 bytes mkimage keeps', (t) => {
  const argv = mkimageArgs(getBoard('wrt1200ac'), { parts: ['a'], output: 'o', name: 'x'.repeat(40) });
  t.is(argv[argv.indexOf('-n') + 1]!.length, 31);
});

test('the virt DTB comes from QEMU with the machine options mcdebian boot uses', (t) => {
  t.deepEqual(dumpDtbArgs('/w/virt.dtb'), ['qemu-system-arm', '-M', 'virt,highmem=off,dumpdtb=/w/virt.dtb', '-cpu', 'cortex-a15', '-m', '1024', '-smp', '2', '-nographic']);
});

testWithTools({ mkimage: 'u-boot-tools' }, 'real mkimage makes a multi-file image of exactly the size the budget computes', async (t) => {
  const dir = await makeTempDir(t);
  const sizes = [6_046_208 + 20_071, 3_000_001];
  const parts = await Promise.all(sizes.map(async (size, i) => {
    const path = join(dir, `part${i}`);
    await writeFile(path, Buffer.alloc(size, i + 1));
    return path;
  }));
  const output = join(dir, 'kernel.uimg');
  await runCommand(mkimageArgs(getBoard('wrt1200ac'), { parts, output, name: 'McDebian wrt1200ac' }));
  t.is((await stat(output)).size, multiImageSize(sizes));
  const { stdout } = await runCommand(['mkimage', '-l', output]);
  t.regex(stdout, /Image Name:\s+McDebian wrt1200ac/);
  t.regex(stdout, /Image Type:\s+ARM Linux Multi-File Image \(uncompressed\)/);
  t.regex(stdout, /Load Address:\s+00008000/);
  t.regex(stdout, /Image 0: 6066279 Bytes/);
  t.regex(stdout, /Image 1: 3000001 Bytes/);
});
