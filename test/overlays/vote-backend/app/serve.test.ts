import test from 'ava';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../../../../overlays/vote-backend/app/config.js';
import { openDatabase, workerCount } from '../../../../overlays/vote-backend/app/serve.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { testConfig } from './fixtures.js';

test('the service runs the configured number of workers, or one per CPU for 0', (t) => {
  t.is(workerCount(testConfig({ workers: 3 })), 3);
  t.is(workerCount(testConfig()), availableParallelism());
});

test('a password file that cannot be read is a config error naming it', async (t) => {
  const dir = await makeTempDir(t);
  const config = testConfig({ database: { endpoints: [{ host: '127.0.0.1' }], user: 'u', database: 'd', passwordFile: join(dir, 'missing') } });
  await t.throwsAsync(openDatabase(config, 0), { instanceOf: ConfigError, message: new RegExp(`^cannot read the database password file ${dir}/missing: ENOENT`) });
});

test('a CA file that cannot be read is a config error naming it', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'password'), 'secret\n');
  const config = testConfig({ database: { endpoints: [{ host: 'db.example.com' }], user: 'u', database: 'd', passwordFile: join(dir, 'password'), tls: { caFile: join(dir, 'ca.pem') } } });
  await t.throwsAsync(openDatabase(config, 0), { instanceOf: ConfigError, message: new RegExp(`^cannot read the database CA file ${dir}/ca\\.pem`) });
});

test('the database opens without connecting: it connects at the first batch or ping', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'password'), 'secret\n');
  const database = await openDatabase(testConfig({ database: { endpoints: [{ host: '127.0.0.1', port: 1 }], user: 'u', database: 'd', passwordFile: join(dir, 'password') } }), 1);
  t.deepEqual(database.status(), { connected: false });
  await database.close();
});
