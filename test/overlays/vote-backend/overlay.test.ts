/**
 * vote-backend's wiring: the packages each database shape needs, the files its config names,
 * the generated database password (0600, made only by a build whose checks all passed), and what
 * `plan` and `render` show of it.
 */
import test from 'ava';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../../build/config/load.js';
import { generatePassword, voteBackend } from '../../../overlays/vote-backend/overlay.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';
import { galera, parse, remote } from './fixtures.js';

const names = { configName: 'vote1', hostname: 'vote1' };
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

test('packages: MariaDB for the embedded database, galera-4 and rsync on a Galera node, the CA bundle for a remote one', (t) => {
  t.deepEqual(voteBackend.packages(parse()), ['mariadb-server']);
  t.deepEqual(voteBackend.packages(parse({ database: galera() })), ['mariadb-server', 'galera-4', 'rsync']);
  t.deepEqual(voteBackend.packages(parse({ database: remote() })), ['ca-certificates']);
});

test('the embedded database\'s password is generated under the config file\'s name, which no field changes; the others are the files the config names', (t) => {
  const [embedded] = voteBackend.files(parse(), names);
  t.like(embedded, { field: ['database', 'passwordFile'], path: 'secrets/vote1/vote-backend-database-password', secret: true });
  t.is(typeof embedded?.generate, 'function');
  t.deepEqual(voteBackend.files(parse({ database: remote({ caFile: 'rds-ca.pem' }) }), names), [
    { field: ['database', 'passwordFile'], path: 'secrets/db', secret: true },
    { field: ['database', 'caFile'], path: 'rds-ca.pem', secret: false },
  ]);
  t.deepEqual(voteBackend.files(parse({ database: galera() }), names), [{ field: ['database', 'passwordFile'], path: 'secrets/db', secret: true }]);
});

test('a generated password is 24 random bytes in hex, 0600 in a 0700 directory, and never overwrites one that is there', async (t) => {
  const dir = await makeTempDir(t);
  const file = join(dir, 'secrets', 'vote1', 'vote-backend-database-password');
  t.deepEqual(await generatePassword(file), []);
  const password = await readFile(file, 'utf8');
  t.regex(password, /^[0-9a-f]{48}\n$/);
  t.is(await modeOf(file), 0o600);
  t.is(await modeOf(join(dir, 'secrets', 'vote1')), 0o700);
  await t.throwsAsync(generatePassword(file), { code: 'EEXIST' });
  t.is(await readFile(file, 'utf8'), password);
  const other = join(dir, 'other');
  await generatePassword(other);
  t.not(await readFile(other, 'utf8'), password);
});

const YAML = `board: x86-64
hostname: vote1
overlays:
  vote-backend:
    polls: [{ id: final, title: Final, choices: [{ id: a, label: A }, { id: b, label: B }] }]
`;

async function workspace(t: Parameters<typeof makeTempDir>[0], yaml = YAML) {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'mcdebian.yaml': yaml });
  return { dir, env: { XDG_CACHE_HOME: join(dir, 'cache'), HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' } };
}

test('a build\'s config load generates the password once the config passed, and reuses it after', async (t) => {
  const { dir } = await workspace(t);
  const file = join(dir, 'mcdebian.yaml');
  const planned = (await loadConfig({ file })).resolvedOverlays[0]!.files[0]!;
  t.is(planned.content, undefined);
  await t.throwsAsync(stat(join(dir, 'secrets')), { code: 'ENOENT' }, 'loading without generating writes nothing');
  const built = (await loadConfig({ file, generateSecrets: true })).resolvedOverlays[0]!.files[0]!;
  t.true(built.generated);
  t.is(built.file, join(dir, 'secrets', 'mcdebian', 'vote-backend-database-password'));
  t.is(await modeOf(built.file), 0o600);
  const again = (await loadConfig({ file, generateSecrets: true })).resolvedOverlays[0]!.files[0]!;
  t.false(again.generated);
  t.is(again.content, built.content);
});

test('plan shows the password as still to be generated and writes nothing', async (t) => {
  const { dir, env } = await workspace(t);
  const result = await runCli(['plan', '-c', 'mcdebian.yaml', '--offline'], { cwd: dir, env });
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /vote-backend: database: MariaDB on this image, database votes, user vote, password secrets\/mcdebian\/vote-backend-database-password \(generated at build\)/);
  t.regex(result.stdout, /vote-backend: votes on 0\.0\.0\.0:8080 for final; a worker per CPU; batches of up to 10000 every 1000 ms/);
  t.regex(result.stdout, /units enabled: .*mariadb\.service mcdebian-vote-backend-database\.service mcdebian-vote-backend\.service/);
  t.regex(result.stdout, /^Packages \(\d+\): .*\bmariadb-server\b/m);
  await t.throwsAsync(stat(join(dir, 'secrets')), { code: 'ENOENT' });
});

test('render generates the password and puts it in the layer as a 0600 secret, listed by path only; the service config and units beside it', async (t) => {
  const { dir, env } = await workspace(t);
  const result = await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'rendered', '--json'], { cwd: dir, env });
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stderr, /generated \S+secrets\/mcdebian\/vote-backend-database-password for overlays\.vote-backend\.database\.passwordFile/);
  const generated = await readFile(join(dir, 'secrets', 'mcdebian', 'vote-backend-database-password'), 'utf8');
  const layer = join(dir, 'rendered', 'layer');
  const secret = join(layer, 'etc/mcdebian/secrets/vote-backend/database-password');
  t.is(await readFile(secret, 'utf8'), generated);
  t.is(await modeOf(secret), 0o600);
  const report = JSON.parse(result.stdout) as { units: string[]; files: { path: string; secret?: boolean }[] };
  t.deepEqual(report.files.filter((file) => file.secret).map((file) => file.path), ['/etc/mcdebian/secrets/vote-backend/database-password']);
  t.true(report.units.includes('mcdebian-vote-backend.service'));
  t.false((await readFile(join(dir, 'rendered', 'render.json'), 'utf8')).includes(generated.trim()), 'render.json never holds the password');
  t.regex(await readFile(join(layer, 'etc/mcdebian/vote-backend/config.json'), 'utf8'), /"passwordFile": "%d\/database-password"/);
  t.regex(await readFile(join(layer, 'usr/lib/mcdebian/vote-backend/main.mjs'), 'utf8'), /Idempotency-Key/, 'the bundled service is in the layer');
  // a second render keeps the same password
  await writeFile(join(dir, 'mcdebian.yaml'), YAML.replace('hostname: vote1', 'hostname: vote2'));
  t.is((await runCli(['render', '-c', 'mcdebian.yaml', '--out', 'again'], { cwd: dir, env })).exitCode, 0);
  t.is(await readFile(join(dir, 'again', 'layer', 'etc/mcdebian/secrets/vote-backend/database-password'), 'utf8'), generated, 'a changed hostname keeps the password');
});
