/**
 * A test's MariaDB with the vote service's database and user, and what its `votes` table holds,
 * read with the mariadb client as root (never through the service under test).
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { freePort } from '../../../helpers/guest.js';
import { createDatabaseUser, startMariaDb, type RunningMariaDb } from './mariadb.js';
import { waitUntil, type RunningVoteService } from './vote-service.js';

export const DATABASE = { user: 'vote', database: 'votes', password: 'vote-test-password' };

/** The programs the tests with a MariaDB need, with their Debian packages. */
export const MARIADB_TOOLS = { mariadbd: 'mariadb-server', 'mariadb-install-db': 'mariadb-server', mariadb: 'mariadb-client' };

/** A MariaDB in `dir`/name with the service's database and user; stopped when the test ends. */
export async function startVoteDatabase(t: ExecutionContext, options: { dir: string; name?: string; args?: string[] }): Promise<RunningMariaDb> {
  const server = await startMariaDb({ dir: join(options.dir, options.name ?? 'mariadb'), port: await freePort(), ...(options.args ? { args: options.args } : {}) });
  t.teardown(() => server.kill());
  await createDatabaseUser(server, DATABASE);
  return server;
}

/** The ids in the votes table, in the lower-case hex the service answers with; rows per id (more than 1 would be a vote counted twice). */
export async function tableIds(server: RunningMariaDb): Promise<Map<string, number>> {
  const text = await server.sql(`SELECT LOWER(HEX(id)), COUNT(*) FROM \`${DATABASE.database}\`.votes GROUP BY id`);
  return new Map(text.split('\n').filter(Boolean).map((line) => {
    const [id, rows] = line.split('\t');
    return [id!, Number(rows)];
  }));
}

/** Rows in the votes table. */
export async function tableCount(server: RunningMariaDb): Promise<number> {
  return Number(await server.sql(`SELECT COUNT(*) FROM \`${DATABASE.database}\`.votes`));
}

/** Rows per choice of a poll, counted in the votes table itself. */
export async function tableCounts(server: RunningMariaDb, poll: string): Promise<Record<string, number>> {
  const text = await server.sql(`SELECT choice, COUNT(*) FROM \`${DATABASE.database}\`.votes WHERE poll = '${poll}' GROUP BY choice ORDER BY choice`);
  return Object.fromEntries(text.split('\n').filter(Boolean).map((line) => {
    const [choice, rows] = line.split('\t');
    return [choice!, Number(rows)];
  }));
}

/** The ids of `accepted` that the table lacks. */
export async function missingFrom(server: RunningMariaDb, accepted: Iterable<string>): Promise<string[]> {
  const ids = await tableIds(server);
  return [...accepted].filter((id) => !ids.has(id));
}

/**
 * Waits (generously: the service retries a failing database after up to 10 s) until every vote
 * id in `accepted` is in the table, then checks each is there once; a timeout shows the end of
 * the service's output.
 */
export async function assertAllLanded(t: ExecutionContext, options: { db: RunningMariaDb; service: RunningVoteService; accepted: Iterable<string> }): Promise<void> {
  const ids = [...options.accepted];
  await waitUntil(`the ${ids.length} accepted votes in the table`, () => missingFrom(options.db, ids), (missing) => missing.length === 0, 90_000)
    .catch((error: Error) => { throw new Error(`${error.message}\n${options.service.output().slice(-3000)}`); });
  const table = await tableIds(options.db);
  t.deepEqual(ids.filter((id) => table.get(id) !== 1), [], 'votes answered 202 that are not in the table exactly once');
}
