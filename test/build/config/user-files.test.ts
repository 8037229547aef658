/** `files: DIR` in mcdebian.yaml: the user's own tree over the layer. */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../../build/config/issues.js';
import { loadConfig } from '../../../build/config/load.js';
import { readUserFiles } from '../../../build/config/user-files.js';
import type { KernelFacts } from '../../../build/kernel-facts.js';
import { planBuild, planLayer, type PlanInputs } from '../../../build/pipeline.js';
import { UserError } from '../../../build/core/errors.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';
const kernel: KernelFacts = { lookup: 'offline', reason: '--offline', parts: [] };

/** A workspace with a files/ tree: a script (0755), a config (0640), a private directory (0700) and a symlink. */
async function workspace(t: ExecutionContext, yaml: string[] = []) {
  const dir = await makeTempDir(t);
  await writeFiles(dir, {
    'mcdebian.yaml': ['board: wrt1200ac', 'files: tree', ...yaml, ''].join('\n'),
    'hq.pub': HOST_KEY,
    'tree/usr/local/bin/hello': '#!/bin/sh\necho hello\n',
    'tree/etc/motd': 'Welcome to gw1\n',
    'tree/etc/private/token': 'not a secret of ours\n',
  });
  await chmod(join(dir, 'tree/usr/local/bin/hello'), 0o755);
  await chmod(join(dir, 'tree/etc/private/token'), 0o640);
  await chmod(join(dir, 'tree/etc/private'), 0o700);
  await symlink('/usr/local/bin/hello', join(dir, 'tree/usr/local/bin/hi'));
  return { dir, file: join(dir, 'mcdebian.yaml') };
}

async function inputsFor(file: string): Promise<PlanInputs> {
  const config = await loadConfig({ file, generateSecrets: true });
  return {
    config, mirror: 'http://mirror.example/debian', mirrorSource: 'test', bootstrapper: 'mmdebstrap',
    toolVersions: {}, kernel, cacheDir: '/var/cache/mcdebian', layerSourcesHash: 'sources-v1',
  };
}

test('the tree is read with each entry\'s mode, files by their sha256 and links by their target', async (t) => {
  const { dir } = await workspace(t);
  const { files, issues } = await readUserFiles(join(dir, 'tree'));
  t.deepEqual(issues, []);
  const byPath = Object.fromEntries(files.map((file) => [file.path, file]));
  t.is(byPath['/usr/local/bin/hello']?.mode, 0o755);
  t.is(byPath['/etc/private']?.mode, 0o700);
  t.is(byPath['/etc/private/token']?.mode, 0o640);
  t.is(byPath['/usr/local/bin/hi']?.symlink, '/usr/local/bin/hello');
  t.is(byPath['/etc/motd']?.hostFile?.sha256, createHash('sha256').update('Welcome to gw1\n').digest('hex'));
  t.deepEqual(files.map((file) => file.path), [...files.map((file) => file.path)].sort(), 'parents come before their children');
});

test('a FIFO in the tree is refused, naming it', async (t) => {
  const { dir, file } = await workspace(t);
  await execa('mkfifo', [join(dir, 'tree', 'etc', 'pipe')]);
  const error = await t.throwsAsync(loadConfig({ file }), { instanceOf: ConfigError });
  t.regex(error.message, /mcdebian\.yaml:2: files: \S+tree\/etc\/pipe is neither a file, a directory nor a symlink/);
});

test('a files: that is not a directory is a config error on its line', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'mcdebian.yaml': 'board: wrt1200ac\nhostname: gw1\nfiles: nowhere\n' });
  const error = await t.throwsAsync(loadConfig({ file: join(dir, 'mcdebian.yaml') }), { instanceOf: ConfigError });
  t.regex(error.message, /mcdebian\.yaml:3: files: \S+nowhere is not a directory/);
});

test('the user\'s files go into the layer, a file of the base configuration is replaced, and their content is in the layer\'s key', async (t) => {
  const { dir, file } = await workspace(t);
  await writeFiles(dir, { 'tree/etc/hostname': 'from-the-tree\n' });
  const { layer } = planLayer(await inputsFor(file));
  const hostnames = layer.files.filter((entry) => entry.path === '/etc/hostname');
  t.is(hostnames.length, 1);
  t.is(hostnames[0]?.hostFile?.path, join(dir, 'tree/etc/hostname'));
  t.true(layer.files.some((entry) => entry.path === '/usr/local/bin/hello' && entry.mode === 0o755));
  const before = planBuild(await inputsFor(file)).cacheKeys;
  await writeFile(join(dir, 'tree/etc/motd'), 'Welcome, changed\n');
  const after = planBuild(await inputsFor(file)).cacheKeys;
  t.is(after.base, before.base);
  t.not(after.layer, before.layer);
});

test('a file an overlay renders is refused, naming the user\'s file and the overlay', async (t) => {
  const { dir, file } = await workspace(t, ['overlays:', '  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }']);
  await mkdir(join(dir, 'tree/etc/systemd/system'), { recursive: true });
  await writeFiles(dir, { 'tree/etc/systemd/system/mcdebian-callhome.service': '[Service]\nExecStart=/bin/true\n' });
  const thrown = await inputsFor(file).then((inputs) => t.throws(() => planLayer(inputs), { instanceOf: UserError }));
  t.regex(thrown?.message ?? '', /files: 1 of your files collide with an overlay's:\n  tree\/etc\/systemd\/system\/mcdebian-callhome\.service would replace \/etc\/systemd\/system\/mcdebian-callhome\.service, which the callhome overlay renders/);
});
