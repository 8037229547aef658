/** The safety net around a generated tunnel key: the far side of the previous build trusts another key. */
import test from 'ava';
import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateTunnelKey } from '../../../overlays/callhome/generated-key.js';
import { fingerprintOf, publicKeyOf } from '../../../overlays/callhome/keys.js';
import { loadConfig } from '../../../build/config/load.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';

/** A directory whose previous build's far-side files trust the key pair at `keyAt` (relative). */
async function trustedFarSide(t: Parameters<typeof makeTempDir>[0], keyAt: string) {
  const dir = await makeTempDir(t);
  const old = join(dir, keyAt);
  await mkdir(join(old, '..'), { recursive: true });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'old', '-f', old]);
  const previousOutputs = join(dir, 'out', 'wrt1200ac', 'callhome');
  await mkdir(previousOutputs, { recursive: true });
  await writeFile(join(previousOutputs, 'tunnel-key.pub'), await readFile(`${old}.pub`, 'utf8'));
  return { dir, old, previousOutputs, trusted: fingerprintOf(publicKeyOf(await readFile(old, 'utf8'))) };
}

test('generating a key while the previous far-side files trust another says so, naming both keys and where the old one is', async (t) => {
  const { dir, previousOutputs, trusted } = await trustedFarSide(t, 'secrets/old-name/callhome-tunnel-key');
  const file = join(dir, 'secrets', 'gw', 'callhome-tunnel-key');
  const warnings = await generateTunnelKey(file, { previousOutputs, dir, comment: 'c' });
  const made = fingerprintOf(publicKeyOf(await readFile(file, 'utf8')));
  t.is(warnings.length, 1);
  t.true(warnings[0]!.includes(`out/wrt1200ac/callhome/tunnel-key.pub holds tunnel key ${trusted}, which the managed host trusts`), warnings[0]);
  t.true(warnings[0]!.includes(`generated a new key, ${made}, at secrets/gw/callhome-tunnel-key`), warnings[0]);
  t.true(warnings[0]!.includes('mv secrets/old-name/callhome-tunnel-key secrets/gw/callhome-tunnel-key'), warnings[0]);
  t.regex(warnings[0]!, /mcdebian callhome install-host/);
});

test('without the old private key, the warning says to install the new far-side files only', async (t) => {
  const { dir, old, previousOutputs } = await trustedFarSide(t, 'elsewhere/key');
  await writeFile(old, 'gone\n');
  const warnings = await generateTunnelKey(join(dir, 'secrets', 'gw', 'callhome-tunnel-key'), { previousOutputs, dir, comment: 'c' });
  t.is(warnings.length, 1);
  t.notRegex(warnings[0]!, /put the old key back/);
});

test('generating a key with no previous far-side files warns of nothing', async (t) => {
  const dir = await makeTempDir(t);
  t.deepEqual(await generateTunnelKey(join(dir, 'secrets', 'gw', 'callhome-tunnel-key'), { previousOutputs: join(dir, 'out', 'x', 'callhome'), dir, comment: 'c' }), []);
});

test('a build that generates a key beside a previous build\'s far-side files carries the warning to the log', async (t) => {
  const { dir } = await trustedFarSide(t, 'secrets/mcdebian-old/callhome-tunnel-key');
  await writeFiles(dir, { 'mcdebian.yaml': 'board: wrt1200ac\noverlays:\n  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }\n', 'hq.pub': HOST_KEY });
  const config = await loadConfig({ file: join(dir, 'mcdebian.yaml'), generateSecrets: true });
  const key = config.resolvedOverlays[0]!.files.find((entry) => entry.field[0] === 'privateKey')!;
  t.true(key.generated);
  t.regex(key.warnings?.[0] ?? '', /which the managed host trusts/);
});
