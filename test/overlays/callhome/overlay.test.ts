/** Where callhome keeps the key it generates: under the config file's name, whatever the config says. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../../build/config/load.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';
const yaml = (hostname: string) => `board: wrt1200ac\nhostname: ${hostname}\noverlays:\n  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }\n`;

/** The tunnel key a build of `file` uses: its path and content. */
async function builtKey(file: string) {
  const config = await loadConfig({ file, generateSecrets: true });
  const key = config.resolvedOverlays[0]!.files.find((entry) => entry.field[0] === 'privateKey')!;
  return { file: key.file, content: key.content, generated: key.generated };
}

test('changing the hostname keeps the generated tunnel key: nothing rotates unless asked', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'gw.yaml': yaml('gw1'), 'hq.pub': HOST_KEY });
  const first = await builtKey(join(dir, 'gw.yaml'));
  t.true(first.generated);
  t.is(first.file, join(dir, 'secrets', 'gw', 'callhome-tunnel-key'));
  await writeFiles(dir, { 'gw.yaml': yaml('branch7') });
  const second = await builtKey(join(dir, 'gw.yaml'));
  t.false(second.generated);
  t.is(second.file, first.file);
  t.is(second.content, first.content);
});

test('each config of a fleet in one directory gets its own tunnel key, whatever their hostnames', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'router1.yaml': yaml('gw'), 'router2.yaml': yaml('gw'), 'hq.pub': HOST_KEY });
  const one = await builtKey(join(dir, 'router1.yaml'));
  const two = await builtKey(join(dir, 'router2.yaml'));
  t.is(one.file, join(dir, 'secrets', 'router1', 'callhome-tunnel-key'));
  t.is(two.file, join(dir, 'secrets', 'router2', 'callhome-tunnel-key'));
  t.not(one.content, two.content);
  t.regex(await readFile(`${two.file}.pub`, 'utf8'), /^ssh-ed25519 /);
});
