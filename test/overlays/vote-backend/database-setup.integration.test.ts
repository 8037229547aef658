/**
 * The database setup script as vote-backend renders it, run for real (as its unit runs it: as
 * root, the password in $CREDENTIALS_DIRECTORY) against a mariadbd of the test's own, only the
 * socket's path moved: the database and the user are made, a second run changes nothing but a
 * changed password, a password with quotes and backslashes works, and no program it starts gets
 * the password in its arguments (strace records every execve).
 */
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { createConnection } from 'mariadb';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderSetupScript } from '../../../overlays/vote-backend/database-setup.js';
import { MARIADB_SOCKET } from '../../../overlays/vote-backend/units.js';
import { freePort } from '../../helpers/guest.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { parse } from './fixtures.js';
import { startMariaDb, type RunningMariaDb } from './helpers/mariadb.js';

const test = testNeeding({
  tools: { mariadbd: 'mariadb-server', 'mariadb-install-db': 'mariadb-server', mariadb: 'mariadb-client', strace: 'strace' },
  root: 'the script logs in as MariaDB\'s root by unix_socket, which needs the system\'s root',
});

/** A password a shell or SQL would trip over if either quoted it wrong. */
const AWKWARD = 'it\'s a \\"back\\slash\\\' `id` $(id) $HOME ;--';

interface Setup {
  server: RunningMariaDb;
  dir: string;
  /** Runs the rendered script with `password` as its credential; strace's execve lines when traced. */
  run(password: string, options?: { trace?: boolean }): Promise<string>;
}

async function setUp(t: ExecutionContext): Promise<Setup> {
  const dir = await makeTempDir(t, 'vote-setup-');
  const server = await startMariaDb({ dir: join(dir, 'db'), port: await freePort() });
  t.teardown(() => server.kill());
  const database = parse({ database: { kind: 'embedded', database: 'ballots', user: 'voter' } }).database as { kind: 'embedded'; database: string; user: string };
  const script = join(dir, 'setup-database');
  await writeFile(script, renderSetupScript(database).replaceAll(MARIADB_SOCKET, server.socket), { mode: 0o755 });
  const credentials = join(dir, 'credentials');
  await mkdir(credentials, { mode: 0o700 });
  return {
    server, dir,
    async run(password, options = {}) {
      await writeFile(join(credentials, 'database-password'), `${password}\n`, { mode: 0o600 });
      const env = { CREDENTIALS_DIRECTORY: credentials, PATH: process.env.PATH ?? '/usr/bin:/bin' };
      if (!options.trace) {
        await execa(script, [], { env, extendEnv: false });
        return '';
      }
      const trace = join(dir, 'strace.txt');
      await execa('strace', ['-f', '-qq', '-e', 'trace=execve', '-s', '65536', '-o', trace, script], { env, extendEnv: false });
      return readFile(trace, 'utf8');
    },
  };
}

/** Logs in as the service would, over the socket, and says which database it is in. */
async function logIn(server: RunningMariaDb, password: string): Promise<string> {
  const connection = await createConnection({ socketPath: server.socket, user: 'voter', password, database: 'ballots' });
  try {
    const [row] = await connection.query<{ name: string }[]>('SELECT DATABASE() AS name');
    await connection.query('CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY) ENGINE=InnoDB');
    return row!.name;
  } finally {
    await connection.end();
  }
}

test('the script makes the database and the user, whose password may hold quotes, backslashes and shell syntax', async (t) => {
  const { server, run } = await setUp(t);
  await run(AWKWARD);
  t.is(await server.sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'ballots'"), 'ballots');
  t.is(await server.sql("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User = 'voter'"), 'voter@localhost');
  t.is(await logIn(server, AWKWARD), 'ballots', 'the user logs in with the password and may create the service\'s tables');
  await t.throwsAsync(logIn(server, 'wrong'), { message: /Access denied/ });
});

test('run twice it changes nothing; run with a new password the user has the new one', async (t) => {
  const { server, run } = await setUp(t);
  await run('first');
  await logIn(server, 'first');
  await run('first');
  t.is(await logIn(server, 'first'), 'ballots');
  t.is(await server.sql("SELECT COUNT(*) FROM mysql.user WHERE User = 'voter'"), '1');
  await run('second');
  t.is(await logIn(server, 'second'), 'ballots');
  await t.throwsAsync(logIn(server, 'first'), { message: /Access denied/ });
});

test('no program the script starts gets the password in its arguments', async (t) => {
  const { run } = await setUp(t);
  const password = 'argv-canary-7f3a\'\\x';
  const trace = await run(password, { trace: true });
  const execs = trace.split('\n').filter((line) => line.includes('execve('));
  t.true(execs.some((line) => /execve\("[^"]*\/mariadb"/.test(line)), `mariadb was run: ${execs.join('\n')}`);
  t.false(trace.includes('argv-canary'), execs.join('\n'));
});
