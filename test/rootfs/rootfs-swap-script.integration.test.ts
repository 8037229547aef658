/**
 * rootfs/files/mcdebian-rootfs-swap, the initramfs script that puts a staged root filesystem in
 * place, run on this host against a root directory of its own, with `uname` and `mount` faked.
 */
import test from 'ava';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFakeBin } from '../helpers/fake-bin.js';
import { testNeeding } from '../helpers/tools.js';

const SCRIPT = fileURLToPath(new URL('../../../rootfs/files/mcdebian-rootfs-swap', import.meta.url));
const RELEASE = '6.12.107+deb13-armmp';

/** A root tree: /etc/version holding `version`, and the modules of `release`. */
async function tree(dir: string, version: string, release = RELEASE): Promise<void> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'usr/lib/modules', release), { recursive: true });
  await writeFile(join(dir, 'etc/version'), version);
  await writeFile(join(dir, '.hidden'), version);
}

async function setUp(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-swap-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  await tree(root, 'old');
  await mkdir(join(root, 'lost+found'));
  const bin = await makeFakeBin(dir, { uname: { stdout: `${RELEASE}\n` }, mount: {} });
  const run = () => execa('sh', [SCRIPT], { env: { PATH: `${bin}:${process.env.PATH}`, rootmnt: root } });
  const version = (path = '') => readFile(join(root, path, 'etc/version'), 'utf8');
  const mounts = async () => (await readFile(join(dir, 'argv.log'), 'utf8').catch(() => '')).split('\n').filter((line) => line.includes('/mount ')).length;
  return { dir, root, run, version, mounts };
}

test('a complete staged root is put in place, the old one kept in /.mcdebian-previous', async (t) => {
  const { root, run, version } = await setUp(t);
  await tree(join(root, '.mcdebian-next'), 'new');
  await writeFile(join(root, '.mcdebian-next/.mcdebian-complete'), '');
  await run();
  t.is(await version(), 'new');
  t.is(await readFile(join(root, '.hidden'), 'utf8'), 'new', 'dot files move too');
  t.is(await version('.mcdebian-previous'), 'old');
  t.deepEqual((await readdir(root)).sort(), ['.hidden', '.mcdebian-previous', 'etc', 'lost+found', 'usr']);
});

test('a stage without its completion marker is left alone, and nothing is remounted', async (t) => {
  const { root, run, version, mounts } = await setUp(t);
  await tree(join(root, '.mcdebian-next'), 'half');
  await run();
  t.is(await version(), 'old');
  t.is(await version('.mcdebian-next'), 'half');
  t.is(await mounts(), 0);
});

test('a swap cut off after the old root moved away is finished at the next boot', async (t) => {
  const { root, run, version } = await setUp(t);
  await tree(join(root, '.mcdebian-next'), 'new');
  await writeFile(join(root, '.mcdebian-next/.mcdebian-complete'), '');
  // phase one done, then the power went: the old root is in previous, the new one still staged
  await mkdir(join(root, '.mcdebian-previous'));
  for (const entry of ['etc', 'usr', '.hidden']) await execa('mv', [join(root, entry), join(root, '.mcdebian-previous/')]);
  await writeFile(join(root, '.mcdebian-swapping'), '');
  await run();
  t.is(await version(), 'new');
  t.is(await version('.mcdebian-previous'), 'old');
  t.deepEqual((await readdir(root)).filter((name) => name.startsWith('.mcdebian-')), ['.mcdebian-previous']);
});

test('a root without the running kernel\'s modules is swapped back, the new one kept in /.mcdebian-failed', async (t) => {
  const { root, run, version } = await setUp(t);
  await tree(join(root, '.mcdebian-next'), 'new', '6.99.0-other');
  await writeFile(join(root, '.mcdebian-next/.mcdebian-complete'), '');
  await run();
  t.is(await version(), 'old');
  t.is(await version('.mcdebian-failed'), 'new');
  t.deepEqual((await readdir(root)).filter((name) => name.startsWith('.mcdebian-')), ['.mcdebian-failed']);
});

test('with nothing staged and nothing to put back, the script does nothing', async (t) => {
  const { root, run, version, mounts } = await setUp(t);
  await run();
  t.is(await version(), 'old');
  t.deepEqual((await readdir(root)).sort(), ['.hidden', 'etc', 'lost+found', 'usr']);
  t.is(await mounts(), 0);
});

const KLIBC = '/usr/lib/klibc/bin';
const klibcTest = testNeeding({ tools: { [join(KLIBC, 'sh')]: 'klibc-utils' }, root: 'it mounts a tmpfs as the root' }, { serial: true });

klibcTest('as in the initramfs: klibc\'s sh, mv, mkdir, nuke and mount, the root a read-only mount', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-swap-'));
  const root = join(dir, 'root');
  await mkdir(root);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'mcdebian-test-root', root]);
  t.teardown(async () => {
    await execa('umount', [root]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  await tree(root, 'old', release());
  await tree(join(root, '.mcdebian-next'), 'new', release());
  await writeFile(join(root, '.mcdebian-next/.mcdebian-complete'), '');
  await execa('mount', ['-o', 'remount,ro', root]);
  // klibc's tools only, as the initramfs has them: no rm, no awk, no coreutils
  await execa(join(KLIBC, 'sh'), [SCRIPT], { env: { PATH: KLIBC, rootmnt: root } });
  t.is(await readFile(join(root, 'etc/version'), 'utf8'), 'new');
  t.is(await readFile(join(root, '.mcdebian-previous/etc/version'), 'utf8'), 'old');
  t.false(existsSync(join(root, '.mcdebian-next')), 'nuke removed the emptied stage');
  const line = (await readFile('/proc/mounts', 'utf8')).split('\n').find((l) => l.split(' ')[1] === root);
  t.regex(line ?? '', /\sro[,\s]/, 'the root is read-only again, as the initramfs mounted it');
});
