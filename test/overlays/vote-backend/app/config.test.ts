import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../../../overlays/vote-backend/app/config.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { configJson } from './fixtures.js';

test('a minimal config gets the documented defaults', (t) => {
  const config = parseConfig(configJson(), 'config.json', {});
  t.like(config, {
    listen: { address: '0.0.0.0', port: 8080, backlog: 4096 }, workers: 0, maxPendingVotes: 2_000_000, batch: { intervalMs: 1000, maxVotes: 10_000 },
    database: { tls: null, connectTimeoutMs: 3000, passwordFile: '/etc/vote/password' }, corsOrigins: [], clientAddressHeader: null, page: true, retryAfterSeconds: 5,
    limits: { perVoter: null, perAddress: null, maxBodyBytes: 4096, idempotencyWindowSeconds: 86_400 },
  });
  t.is(config.polls[0]!.opensAt, Date.parse('2026-06-01T19:00:00Z'));
});

const refuses = test.macro({
  exec(t, change: Record<string, unknown>, message: RegExp) {
    const error = t.throws(() => parseConfig(configJson(change), '/etc/mcdebian/vote-backend/config.json', {}), { instanceOf: ConfigError });
    t.regex(error!.message, /^\/etc\/mcdebian\/vote-backend\/config\.json: /);
    t.regex(error!.message, message);
  },
  title: (given) => `a config error names the file and the field: ${given}`,
});

const poll = (change: Record<string, unknown>) => ({ id: 'p', title: 'P', choices: [{ id: 'a', label: 'A' }], ...change });
test('a missing serverId', refuses, { serverId: undefined }, /serverId: /);
test('an unknown key', refuses, { colour: 'red' }, /colour/);
test('a poll id with a space', refuses, { polls: [poll({ id: 'a b' })] }, /polls\.0\.id: must be 1 to 64 letters/);
test('a poll given twice', refuses, { polls: [poll({}), poll({})] }, /polls\.1\.id: "p" is given twice/);
test('a choice given twice', refuses, { polls: [poll({ choices: [{ id: 'a', label: 'A' }, { id: 'a', label: 'B' }] })] }, /polls\.0\.choices\.1\.id: "a" is given twice/);
test('a poll closing before it opens', refuses, { polls: [poll({ opensAt: '2026-06-01T20:00:00Z', closesAt: '2026-06-01T19:00:00Z' })] }, /polls\.0\.closesAt: must be after opensAt/);
test('a time without an offset', refuses, { polls: [poll({ opensAt: '2026-06-01 20:00' })] }, /polls\.0\.opensAt/);
test('a listen address that is not an IP address', refuses, { listen: { address: 'localhost' } }, /listen\.address: must be an IP address/);
test('a batch interval under 10 ms', refuses, { batch: { intervalMs: 5 } }, /batch\.intervalMs/);
test('no database endpoint', refuses, { database: { endpoints: [], user: 'u', database: 'd', passwordFile: '/p' } }, /database\.endpoints/);
test('a CORS origin with a path', refuses, { corsOrigins: ['https://vote.example.com/page'] }, /corsOrigins\.0: must be an origin such as https:\/\/vote\.example\.com/);
test('a body limit over 64 KiB', refuses, { limits: { maxBodyBytes: 100_000 } }, /limits\.maxBodyBytes/);

test('a password given as %d/NAME is NAME in systemd\'s credentials directory', (t) => {
  const config = parseConfig(configJson({ database: { endpoints: [{ host: 'db', port: 3306 }], user: 'u', database: 'd', passwordFile: '%d/db-password' } }), 'config.json', { CREDENTIALS_DIRECTORY: '/run/credentials/vote.service' });
  t.is(config.database.passwordFile, '/run/credentials/vote.service/db-password');
});

test('a %d/ password without $CREDENTIALS_DIRECTORY names the field and the two ways out', (t) => {
  const error = t.throws(() => parseConfig(configJson({ database: { endpoints: [{ host: 'db' }], user: 'u', database: 'd', passwordFile: '%d/pw' } }), 'config.json', {}), { instanceOf: ConfigError });
  t.is(error!.message, 'config.json: database.passwordFile is %d/pw, but $CREDENTIALS_DIRECTORY is not set: start the service with LoadCredential= or give a plain path');
});

test('a config file that is missing or not JSON is named in the error', async (t) => {
  const dir = await makeTempDir(t);
  await t.throwsAsync(loadConfig(join(dir, 'none.json'), {}), { instanceOf: ConfigError, message: new RegExp(`^cannot read the config ${dir}/none\\.json: ENOENT`) });
  await writeFile(join(dir, 'bad.json'), '{"serverId": ');
  await t.throwsAsync(loadConfig(join(dir, 'bad.json'), {}), { instanceOf: ConfigError, message: new RegExp(`^${dir}/bad\\.json is not JSON: `) });
  await writeFile(join(dir, 'good.json'), JSON.stringify(configJson()));
  t.is((await loadConfig(join(dir, 'good.json'), {})).serverId, 'vote-1');
});
