/**
 * `main.mjs status` (app/status-query.ts) against a running relay behind its admin password:
 * it prints the relay's /status.json, never the password, and names the endpoint when the
 * password in its kannel.conf is not the running relay's.
 */
import test from 'ava';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RelayStatus } from '../../../../overlays/smpp-relay/app/status.js';
import { testConf } from '../helpers/kannel-conf-text.js';
import { startRelay } from '../helpers/relay.js';
import { startSimulator } from '../helpers/smsc-simulator.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';

const MAIN = fileURLToPath(new URL('../../../../overlays/smpp-relay/app/main.js', import.meta.url));

const statusOf = (conf: string) => execa(process.execPath, [MAIN, 'status', '--config', conf], { reject: false, stdin: 'ignore' });

test('status prints the running relay\'s status.json with the admin password from kannel.conf, and not the password', async (t) => {
  const smsc = await startSimulator({ accounts: [{ systemId: 'one', password: 'pw1' }] });
  const conf = await testConf({ smsc: [{ 'smsc-id': 'carrier', port: smsc.port, 'smsc-username': 'one', 'smsc-password': 'pw1' }], users: [{ username: 'app', password: 'secret' }] });
  const relay = await startRelay({ conf: conf.text });
  t.teardown(async () => {
    await relay.stop();
    await smsc.close();
  });
  await relay.waitForLinks({ carrier: 'online' }, 30_000);
  const result = await statusOf(join(relay.dir, 'kannel.conf'));
  t.is(result.exitCode, 0, String(result.stderr));
  const status = JSON.parse(String(result.stdout)) as RelayStatus;
  t.like(status.links[0], { name: 'carrier', state: 'bound', port: smsc.port });
  t.false(`${result.stdout}${result.stderr}`.includes(conf.password));
});

test('status with a kannel.conf whose admin password the relay does not take names the endpoint and HTTP 403, not the password', async (t) => {
  const conf = await testConf({ smsc: [{ 'smsc-id': 'carrier', port: 9, 'smsc-username': 'one', 'smsc-password': 'pw1' }], users: [{ username: 'app', password: 'secret' }] });
  const relay = await startRelay({ conf: conf.text });
  t.teardown(() => relay.stop());
  const dir = await makeTempDir(t);
  const other = join(dir, 'kannel.conf');
  await writeFile(other, conf.text.replace(`admin-password = "${conf.password}"`, 'admin-password = "not-the-one"'));
  const result = await statusOf(other);
  t.is(result.exitCode, 1);
  t.regex(String(result.stderr), new RegExp(`the relay's status endpoint http://127\\.0\\.0\\.1:${conf.ports.admin}/status\\.json refused the password in its kannel\\.conf \\(HTTP 403\\)`));
  t.false(String(result.stderr).includes('not-the-one'));
});

test('status with no relay listening says the endpoint does not answer, exit 1', async (t) => {
  const conf = await testConf({ smsc: [{ 'smsc-id': 'carrier', port: 9, 'smsc-username': 'one', 'smsc-password': 'pw1' }], users: [{ username: 'app', password: 'secret' }] });
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'kannel.conf'), conf.text);
  const result = await statusOf(join(dir, 'kannel.conf'));
  t.is(result.exitCode, 1);
  t.regex(String(result.stderr), new RegExp(`the relay's status endpoint http://127\\.0\\.0\\.1:${conf.ports.admin}/status\\.json does not answer: .*ECONNREFUSED`));
});
