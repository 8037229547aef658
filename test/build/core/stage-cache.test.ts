import test from 'ava';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stageEntry } from '../../../build/core/paths.js';
import { isStageCached, partialPath, publish, readJson, writeJsonAtomically } from '../../../build/core/stage-cache.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

test('a partial name is the final name with this process\'s id', (t) => {
  t.is(partialPath('/c/layer/k1'), `/c/layer/k1.partial-${process.pid}`);
});

test('publishing a directory replaces the old entry with the new one and leaves no partial behind', async (t) => {
  const cache = await makeTempDir(t);
  const final = join(cache, 'layer', 'k1');
  await writeFiles(final, { 'etc/hostname': 'old\n', 'etc/stale.conf': 'stale\n' });
  const partial = partialPath(final);
  await writeFiles(partial, { 'etc/hostname': 'new\n' });
  await publish(partial, final);
  t.deepEqual((await readdir(final, { recursive: true })).sort(), ['etc', 'etc/hostname']);
  t.is(await readFile(join(final, 'etc/hostname'), 'utf8'), 'new\n');
  t.deepEqual(await readdir(join(cache, 'layer')), ['k1']);
});

test('publishing makes the final entry\'s parent directory', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'base.tar.partial'), 'tar');
  await publish(join(dir, 'base.tar.partial'), join(dir, 'cache/base/k1.tar'));
  t.is(await readFile(join(dir, 'cache/base/k1.tar'), 'utf8'), 'tar');
  t.deepEqual((await readdir(dir)).sort(), ['cache']);
});

test('JSON written atomically reads back the same, pretty-printed, with no partial file left', async (t) => {
  const dir = await makeTempDir(t);
  const path = join(dir, 'last', 'wrt1200ac.json');
  const value = { base: { spec: { packages: ['openssh-server', 'systemd'] } }, layer: { hostname: 'gw' }, images: { size: null } };
  await writeJsonAtomically(path, value);
  t.deepEqual(await readJson(path), value);
  t.is(await readFile(path, 'utf8'), `${JSON.stringify(value, null, 2)}\n`);
  t.deepEqual(await readdir(join(dir, 'last')), ['wrt1200ac.json']);
});

test('reading a missing JSON file gives undefined', async (t) => {
  const dir = await makeTempDir(t);
  t.is(await readJson(join(dir, 'none.json')), undefined);
});

test('reading a corrupt JSON file gives undefined', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'half.json'), '{"base": {"spec"');
  t.is(await readJson(join(dir, 'half.json')), undefined);
});

test('a base is cached only once both its tarball and its metadata are there', async (t) => {
  const cache = await makeTempDir(t);
  const tarball = stageEntry(cache, 'base', 'k1');
  t.is(tarball, join(cache, 'base', 'k1.tar'));
  t.false(isStageCached(cache, 'base', 'k1'));
  await mkdir(join(cache, 'base'), { recursive: true });
  await writeFile(tarball, 'tar');
  t.false(isStageCached(cache, 'base', 'k1'));
  await writeFile(join(cache, 'base', 'k1.json'), '{}');
  t.true(isStageCached(cache, 'base', 'k1'));
  t.false(isStageCached(cache, 'base', 'k2'));
});

test('metadata without its tarball is not a cached base', async (t) => {
  const cache = await makeTempDir(t);
  await writeFiles(cache, { 'base/k1.json': '{}' });
  t.false(isStageCached(cache, 'base', 'k1'));
});

test('a layer is cached once its directory is there, and not while only its partial is', async (t) => {
  const cache = await makeTempDir(t);
  const entry = stageEntry(cache, 'layer', 'k1');
  t.is(entry, join(cache, 'layer', 'k1'));
  await mkdir(partialPath(entry), { recursive: true });
  t.false(isStageCached(cache, 'layer', 'k1'));
  await mkdir(entry, { recursive: true });
  t.true(isStageCached(cache, 'layer', 'k1'));
});
