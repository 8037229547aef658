/** A real build of the x86-64 image, booted under OVMF and logged into over SSH. */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../../build/manifest.js';
import { bootGuest, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type Workspace } from '../../helpers/guest.js';
import { testNeeding } from '../../helpers/tools.js';

const test = anyTest as TestFn<{ workspace: Workspace; config: string }>;
const serial = testNeeding<{ workspace: Workspace; config: string }>({ tools: { mmdebstrap: 'mmdebstrap', 'qemu-system-x86_64': 'qemu-system-x86', 'mkfs.fat': 'dosfstools', mcopy: 'mtools', sfdisk: 'fdisk', 'qemu-img': 'qemu-utils', e2fsck: 'e2fsprogs' } }, { serial: true });

test.after.always(async (t) => removeWorkspace(t.context.workspace));

test.before(async (t) => {
  const workspace = await makeWorkspace(await testCacheDir());
  // the user's own tree (files:), with a mode of its own
  await mkdir(join(workspace.dir, 'tree', 'etc'), { recursive: true });
  await writeFile(join(workspace.dir, 'tree', 'etc', 'motd'), 'McDebian vote server\n', { mode: 0o640 });
  await chmod(join(workspace.dir, 'tree', 'etc', 'motd'), 0o640);
  await chmod(join(workspace.dir, 'tree', 'etc'), 0o700); // a tree made under umask 077 leaves the image's /etc as it is
  const config = await writeConfig(workspace, 'x86', ['board: x86-64', 'hostname: vote1', 'image: { size: 3GiB }', 'files: tree']);
  t.context = { workspace, config };
});

serial(`x86-64 builds a GPT disk.img with an EFI system partition holding systemd-boot`, async (t) => {
  t.timeout(30 * 60_000);
  const { workspace, config } = t.context;
  const result = await runCliIn(workspace, ['build', '-c', config]);
  t.is(result.exitCode, 0, result.stderr.slice(-3000));
  const disk = join(workspace.dir, 'out', 'x86-64', 'disk.img');
  const table = String((await execa('sfdisk', ['--dump', disk])).stdout);
  t.regex(table, /label: gpt/);
  t.regex(table, /disk\.img1 : start=\s*2048, size=\s*524288, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B/);
  t.regex(table, /disk\.img2 : start=\s*526336, .*type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709/);
  const esp = String((await execa('mdir', ['-i', `${disk}@@1M`, '-/', '::/'])).stdout);
  t.regex(esp, /BOOTX64 +EFI/);
  t.regex(esp, /mcdebian\.conf/);
  const fsck = await execa('e2fsck', ['-fn', join(workspace.dir, 'out', 'x86-64', 'rootfs.ext4')], { reject: false });
  t.is(fsck.exitCode, 0, String(fsck.stdout));
  // files: is in the image with its mode, owned by root, and listed in the manifest
  const listing = String((await execa('tar', ['-tvf', join(workspace.dir, 'out', 'x86-64', 'rootfs.tar'), '--no-recursion', './etc/', './etc/motd'])).stdout);
  // rootfs.tar has numeric owners only (no names in the headers): root is 0/0
  t.regex(listing, /^drwxr-xr-x 0\/0 .* \.\/etc\/\n-rw-r----- 0\/0 +21 .* \.\/etc\/motd$/);
  const manifest = JSON.parse(await readFile(join(workspace.dir, 'out', 'x86-64', 'manifest.json'), 'utf8')) as Manifest;
  t.deepEqual(manifest.userFiles, [
    { path: '/etc/motd', mode: '0640', sha256: createHash('sha256').update('McDebian vote server\n').digest('hex') },
  ]);
});

serial(`x86-64 boots under OVMF, reaches multi-user with no failed unit, and the key logs in`, async (t) => {
  t.timeout(20 * 60_000);
  const { workspace, config } = t.context;
  const guest = await bootGuest(workspace, config, { minutes: 8 });
  const state = await guest.run('systemctl is-system-running --wait');
  t.is(state.stdout.trim(), 'running', (await guest.run('systemctl --failed --no-legend')).stdout);
  t.is((await guest.run('hostname')).stdout.trim(), 'vote1');
  t.regex((await guest.run('findmnt -n -o SOURCE,FSTYPE /')).stdout, /^\/dev\/vda2 ext4/);
  t.regex((await guest.run('cat /proc/cmdline')).stdout, /root=UUID=[0-9a-f-]{36}/);
  t.is(await guest.powerOff(), 0);
});
