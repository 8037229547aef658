/** What a build does with what resolution left pending: keys kept where earlier versions made them are moved, not replaced. */
import test from 'ava';
import { execa } from 'execa';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../build/config/load.js';
import { makeTempDir, writeFiles } from '../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';

/** mcdebian.yaml with hostname gw1, and a key pair where McDebian generated it before: secrets/gw1/. */
async function withFormerKey(t: Parameters<typeof makeTempDir>[0]) {
  const dir = await makeTempDir(t);
  await writeFiles(dir, {
    'mcdebian.yaml': 'board: wrt1200ac\nhostname: gw1\noverlays:\n  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }\n',
    'hq.pub': HOST_KEY,
  });
  const former = join(dir, 'secrets', 'gw1', 'callhome-tunnel-key');
  await mkdir(join(dir, 'secrets', 'gw1'), { recursive: true });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'old', '-f', former]);
  return { dir, file: join(dir, 'mcdebian.yaml'), former, key: await readFile(former, 'utf8'), pub: await readFile(`${former}.pub`, 'utf8') };
}

const privateKeyOf = (config: Awaited<ReturnType<typeof loadConfig>>) => config.resolvedOverlays[0]!.files.find((entry) => entry.field[0] === 'privateKey')!;

test('plan uses a key kept where earlier versions made it, and moves nothing', async (t) => {
  const { dir, file, former, key } = await withFormerKey(t);
  const found = privateKeyOf(await loadConfig({ file }));
  t.is(found.content, key);
  t.is(found.formerFile, former);
  t.is(found.file, join(dir, 'secrets', 'mcdebian', 'callhome-tunnel-key'));
  t.falsy(found.moved);
  t.is(await readFile(former, 'utf8'), key);
});

test('build moves a key kept where earlier versions made it, with its .pub, instead of generating a new pair', async (t) => {
  const { dir, file, former, key, pub } = await withFormerKey(t);
  const moved = privateKeyOf(await loadConfig({ file, generateSecrets: true }));
  t.true(moved.moved);
  t.false(moved.generated);
  t.is(moved.content, key);
  t.is(await readFile(moved.file, 'utf8'), key);
  t.is(await readFile(`${moved.file}.pub`, 'utf8'), pub);
  t.is((await stat(join(dir, 'secrets', 'mcdebian'))).mode & 0o777, 0o700);
  await t.throwsAsync(stat(join(dir, 'secrets', 'gw1')), { code: 'ENOENT' }, 'the emptied former directory is gone');
  await t.throwsAsync(stat(former), { code: 'ENOENT' });
  const again = privateKeyOf(await loadConfig({ file, generateSecrets: true }));
  t.deepEqual([again.content, again.formerFile, again.moved, again.generated], [key, undefined, undefined, false]);
});
