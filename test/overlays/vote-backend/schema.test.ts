/** vote-backend's section of mcdebian.yaml as the loader checks it: each error names its field. */
import test from 'ava';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../../../build/config/issues.js';
import { loadConfig } from '../../../build/config/load.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';
import { galera, POLL, remote } from './fixtures.js';

async function workspace(t: Parameters<typeof makeTempDir>[0], section: Record<string, unknown>, options: { board?: string; files?: Record<string, string> } = {}) {
  const dir = await makeTempDir(t);
  const yaml = stringify({ board: options.board ?? 'x86-64', hostname: 'vote1', overlays: { 'vote-backend': { polls: [POLL], ...section } } });
  await writeFiles(dir, { 'mcdebian.yaml': yaml, 'secrets/db': 'pw\n', ...options.files });
  return { dir, file: join(dir, 'mcdebian.yaml') };
}

const refused = test.macro({
  async exec(t, section: Record<string, unknown>, expected: RegExp, files: Record<string, string> = {}) {
    const { dir, file } = await workspace(t, section, { files });
    const error = await t.throwsAsync(loadConfig({ file, generateSecrets: true }), { instanceOf: ConfigError });
    t.regex(error?.message ?? '', expected);
    await t.throwsAsync(stat(join(dir, 'secrets', 'mcdebian')), { code: 'ENOENT' }, 'no password was generated for a refused config');
  },
  title: (given) => `vote-backend ${given} is refused, naming the field`,
});

test('with a poll id that has a space', refused, { polls: [{ ...POLL, id: 'best song' }] }, /overlays\.vote-backend\.polls\[0\]\.id: must be 1 to 64 letters, digits, _ \. or -/);
test('with the same poll twice', refused, { polls: [POLL, POLL] }, /overlays\.vote-backend\.polls\[1\]\.id: "final" is given twice/);
test('with a choice given twice', refused, { polls: [{ ...POLL, choices: [POLL.choices[0], POLL.choices[0]] }] }, /overlays\.vote-backend\.polls\[0\]\.choices\[1\]\.id: "a" is given twice/);
test('with a poll that closes before it opens', refused, { polls: [{ ...POLL, opensAt: '2026-05-01T20:00:00Z', closesAt: '2026-05-01T19:00:00Z' }] },
  /overlays\.vote-backend\.polls\[0\]\.closesAt: must be after opensAt/);
test('with a misspelt key', refused, { workerz: 2 }, /overlays\.vote-backend\.workerz: unknown key/);
test('with a backlog below 128', refused, { listen: { backlog: 16 } }, /overlays\.vote-backend\.listen\.backlog: /);
test('with a CORS origin that has a path', refused, { corsOrigins: ['https://vote.example.com/page'] }, /overlays\.vote-backend\.corsOrigins\[0\]: must be an origin/);
test('with root as the embedded database\'s user', refused, { database: { kind: 'embedded', user: 'root' } },
  /overlays\.vote-backend\.database\.user: must not be one of MariaDB's own accounts \(root, mysql\)/);
test('with the mysql schema as the Galera database', refused, { database: galera({ database: 'mysql' }) }, /overlays\.vote-backend\.database\.database: must not be a system schema/);
test('with a Galera cluster of two nodes', refused, { database: galera({ nodes: [{ name: 'db1', address: '10.0.0.11' }, { name: 'db2', address: '10.0.0.12' }] }) },
  /overlays\.vote-backend\.database\.nodes: needs at least three nodes/);
test('with a Galera node that is not among nodes', refused, { database: galera({ node: 'db9' }) }, /overlays\.vote-backend\.database\.node: is "db9", which is not one of nodes \(db1, db2, db3\)/);
test('with two Galera nodes on one address and port', refused,
  { database: galera({ nodes: [{ name: 'db1', address: '127.0.0.1' }, { name: 'db2', address: '127.0.0.1', port: 3307, groupPort: 4577, istPort: 4578 }, { name: 'db3', address: '10.0.0.13' }] }) },
  /overlays\.vote-backend\.database\.nodes\[1\]\.sstPort: 127\.0\.0\.1:4444 is already node db1's sstPort/);
test('listening on the embedded MariaDB\'s port', refused, { listen: { port: 3306 } }, /overlays\.vote-backend\.listen\.port: 3306 is the embedded MariaDB's port on 127\.0\.0\.1: give the vote service another port/);
test('listening on the Galera node\'s group port', refused, { listen: { address: '10.0.0.11', port: 4567 }, database: galera() },
  /overlays\.vote-backend\.listen\.port: 4567 is node db1's groupPort on 10\.0\.0\.11/);
test('with a remote endpoint that is no host', refused, { database: remote({ endpoints: ['db.example.com:99999'] }) }, /overlays\.vote-backend\.database\.endpoints\[0\]: must be host or host:port/);
test('with a remote password file that is missing', refused, { database: remote({ passwordFile: 'secrets/none' }) },
  /overlays\.vote-backend\.database\.passwordFile: secret file secrets\/none not found/);
test('with a password file of two lines', refused, { database: remote() }, /overlays\.vote-backend\.database\.passwordFile: secrets\/db must hold the password on one line/, { 'secrets/db': 'pw\nmore\n' });
test('with an empty password file', refused, { database: remote() }, /overlays\.vote-backend\.database\.passwordFile: secrets\/db is empty/, { 'secrets/db': '\n' });

test('on a router board vote-backend is refused as x86-64 only, and no password is generated', async (t) => {
  const { dir, file } = await workspace(t, {}, { board: 'wrt1200ac' });
  const error = await t.throwsAsync(loadConfig({ file, generateSecrets: true }), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /overlays\.vote-backend: runs on amd64, not on wrt1200ac \(armhf\); remove it for this board/);
  await t.throwsAsync(stat(join(dir, 'secrets', 'mcdebian')), { code: 'ENOENT' });
});

test('the vote service may use 3306 on its own address while MariaDB has 127.0.0.1:3306, and any port beside a remote database', async (t) => {
  for (const section of [{ listen: { address: '10.0.0.5', port: 3306 } }, { listen: { port: 3306 }, database: remote() }]) {
    const { file } = await workspace(t, section);
    await t.notThrowsAsync(loadConfig({ file }), JSON.stringify(section));
  }
});

test('the defaults: the embedded database, 8080 on every address, batches of 10,000 a second, a backlog of 4096', async (t) => {
  const { file } = await workspace(t, {});
  const [resolved] = (await loadConfig({ file })).resolvedOverlays;
  t.like(resolved?.config, {
    listen: { address: '0.0.0.0', port: 8080, backlog: 4096 }, workers: 0, openFiles: 65_536, batch: { intervalMs: 1000, maxVotes: 10_000 },
    database: { kind: 'embedded', database: 'votes', user: 'vote' }, page: true, corsOrigins: [],
  });
});
