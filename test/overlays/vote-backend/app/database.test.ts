import test from 'ava';
import type { Connection, ConnectionConfig } from 'mariadb';
import { connectionConfig, describeSqlError, MariaDbVoteDatabase } from '../../../../overlays/vote-backend/app/database.js';
import { LATEST_SCHEMA } from '../../../../overlays/vote-backend/app/schema-migrations.js';
import type { Vote } from '../../../../overlays/vote-backend/app/vote-store.js';

const CREDENTIALS = { user: 'vote', password: 'secret', database: 'votes', connectTimeoutMs: 3000 };

test('a remote endpoint over TLS verifies the certificate and sends the host as the TLS server name', (t) => {
  const config = connectionConfig({ host: 'db.example.com', port: 3306 }, { ...CREDENTIALS, tls: { ca: 'PEM' } });
  t.like(config, { host: 'db.example.com', port: 3306, user: 'vote', password: 'secret', database: 'votes', connectTimeout: 3000 });
  t.deepEqual(config.ssl, { rejectUnauthorized: true, servername: 'db.example.com', ca: 'PEM' });
});

test('an endpoint given by IP address verifies the certificate but sends no server name (RFC 6066 forbids addresses there)', (t) => {
  for (const host of ['192.0.2.10', '2001:db8::10']) t.deepEqual(connectionConfig({ host, port: 3306 }, { ...CREDENTIALS, tls: {} }).ssl, { rejectUnauthorized: true });
});

test('without TLS configured, as on the local socket, no TLS settings are given', (t) => {
  const config = connectionConfig({ socketPath: '/run/mysqld/mysqld.sock' }, { ...CREDENTIALS, tls: null });
  t.is(config.socketPath, '/run/mysqld/mysqld.sock');
  t.is(config.ssl, undefined);
});

test('an SQL error is described by its server message and errno, without the SQL', (t) => {
  t.is(describeSqlError(Object.assign(new Error('(conn:3, no: 1213) Deadlock... sql: INSERT ...'), { sqlMessage: 'Deadlock found', errno: 1213, code: 'ER_LOCK_DEADLOCK' })), 'Deadlock found (errno 1213 ER_LOCK_DEADLOCK)');
  t.is(describeSqlError(new Error('connect ECONNREFUSED')), 'connect ECONNREFUSED');
});

/** An SQL error as the connector makes them. */
const sqlError = (message: string, change: { errno?: number; code?: string; fatal?: boolean }) => Object.assign(new Error(message), { sqlMessage: message, fatal: false, ...change });

interface FakeServer {
  /** What each connection to it was asked, in order. */
  log: string[];
  /** Thrown by the next command whose text includes the key (once). */
  failNext: Map<string, Error>;
  /** Refuses connections with this error. */
  refuse?: Error;
  /** The schema version it has. */
  schema: number;
}

const server = (change: Partial<FakeServer> = {}): FakeServer => ({ log: [], failNext: new Map(), schema: LATEST_SCHEMA, ...change });

/** A connection to a fake server: answers the migration's version query and records the rest. */
function fakeConnection(target: FakeServer): Connection {
  let valid = true;
  const run = async (what: string, result: unknown = []) => {
    if (!valid) throw sqlError('not connected', { fatal: true, code: 'ER_CMD_CONNECTION_CLOSED' });
    target.log.push(what);
    for (const [key, error] of target.failNext) {
      if (!what.includes(key)) continue;
      target.failNext.delete(key);
      if ((error as { fatal?: boolean }).fatal) valid = false;
      throw error;
    }
    return result;
  };
  return {
    query: (sql: string) => run(sql.split('\n')[0]!, sql.startsWith('SELECT MAX(version)') ? [{ version: target.schema }] : sql.startsWith('SELECT choice') ? [{ choice: 'a', n: 3n }] : []),
    batch: (sql: string, rows: unknown[][]) => run(`batch ${sql.split(' ').slice(0, 4).join(' ')} x${rows.length}`),
    beginTransaction: () => run('BEGIN'),
    commit: () => run('COMMIT'),
    rollback: () => run('ROLLBACK'),
    ping: () => run('PING'),
    isValid: () => valid,
    destroy: () => { valid = false; },
    end: async () => { valid = false; },
    on: () => undefined,
  } as unknown as Connection;
}

function database(servers: Record<string, FakeServer>) {
  const connectedTo: string[] = [];
  const db = new MariaDbVoteDatabase({
    endpoints: Object.keys(servers).map((host) => ({ host, port: 3306 })), ...CREDENTIALS, tls: null, serverId: 'vote-1', writer: 'vote-1/0',
    connect: async (config: ConnectionConfig) => {
      const target = servers[config.host!]!;
      if (target.refuse) throw target.refuse;
      connectedTo.push(config.host!);
      return fakeConnection(target);
    },
  });
  return { db, connectedTo };
}

const vote = (n: number): Vote => ({ seq: n, id: n.toString(16).padStart(32, '0'), poll: 'show', choice: 'a', at: Date.UTC(2026, 5, 1, 20), ...(n % 2 ? { voter: `v${n}` } : {}) });

test('a batch goes in as one transaction: the rows by INSERT IGNORE, then the counts of the rows it really inserted', async (t) => {
  const a = server();
  const { db } = database({ a });
  await db.insert([vote(1), vote(2), vote(3)]);
  const transaction = a.log.filter((line) => !line.startsWith('CREATE') && !line.startsWith('SELECT MAX'));
  t.deepEqual(transaction.map((line) => line.split(' (')[0]), ['BEGIN', 'batch INSERT IGNORE INTO votes x3', 'INSERT INTO vote_counts', 'COMMIT']);
});

test('a batch that fails without losing the connection is rolled back and rejected, and the connection kept', async (t) => {
  const a = server();
  a.failNext.set('batch', sqlError('Lock wait timeout exceeded', { errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' }));
  const { db, connectedTo } = database({ a });
  await t.throwsAsync(db.insert([vote(1)]), { message: 'Lock wait timeout exceeded' });
  t.true(a.log.includes('ROLLBACK'));
  await db.insert([vote(1)]);
  t.deepEqual(connectedTo, ['a']);
  t.like(db.status(), { connected: true, endpoint: 'a:3306' });
});

test('a batch chosen as a deadlock\'s victim is rolled back and sent again at once, on the same connection', async (t) => {
  const a = server();
  a.failNext.set('batch', sqlError('Deadlock found', { errno: 1213, code: 'ER_LOCK_DEADLOCK' }));
  const { db, connectedTo } = database({ a });
  await db.insert([vote(1)]);
  t.true(a.log.includes('ROLLBACK'));
  t.is(a.log.filter((entry) => entry === 'COMMIT').length, 1);
  t.deepEqual(connectedTo, ['a']);
});

test('an endpoint that refuses is passed over for the next one', async (t) => {
  const { db, connectedTo } = database({ a: server({ refuse: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }), b: server() });
  await db.ping();
  t.deepEqual(connectedTo, ['b']);
  t.like(db.status(), { connected: true, endpoint: 'b:3306' });
});

test('a connection lost in a batch moves the next try to the next endpoint', async (t) => {
  const a = server();
  const b = server();
  a.failNext.set('COMMIT', sqlError('socket has unexpectedly been closed', { fatal: true, code: 'ER_SOCKET_UNEXPECTED_CLOSE' }));
  const { db, connectedTo } = database({ a, b });
  await t.throwsAsync(db.insert([vote(1)]));
  await db.insert([vote(1)]);
  t.deepEqual(connectedTo, ['a', 'b']);
  t.true(b.log.includes('COMMIT'));
});

test('a Galera node outside the primary component (errno 1047) is left for the next endpoint', async (t) => {
  const a = server();
  const b = server();
  const { db, connectedTo } = database({ a, b });
  await db.ping();
  a.failNext.set('PING', sqlError('WSREP has not yet prepared node for application use', { errno: 1047, code: 'ER_UNKNOWN_COM_ERROR' }));
  await t.throwsAsync(db.ping());
  await db.ping();
  t.deepEqual(connectedTo, ['a', 'b']);
});

test('with every endpoint down the error names each endpoint and why, and the status says not connected', async (t) => {
  const refuse = (code: string) => server({ refuse: Object.assign(new Error(`connect ${code}`), { code }) });
  const { db } = database({ a: refuse('ECONNREFUSED'), b: refuse('ETIMEDOUT') });
  await t.throwsAsync(db.ping(), { message: 'no database endpoint answered (a:3306: connect ECONNREFUSED; b:3306: connect ETIMEDOUT)' });
  t.like(db.status(), { connected: false, lastError: 'a:3306: connect ECONNREFUSED; b:3306: connect ETIMEDOUT' });
});

test('a new database gets the schema at the first connection; an up-to-date one only its version read', async (t) => {
  const fresh = server({ schema: 0 });
  const current = server();
  await database({ fresh }).db.ping();
  await database({ current }).db.ping();
  t.true(fresh.log.some((line) => line.startsWith('CREATE TABLE IF NOT EXISTS votes')));
  t.true(fresh.log.some((line) => line.startsWith('INSERT IGNORE INTO vote_schema')));
  t.deepEqual(current.log, ['CREATE TABLE IF NOT EXISTS vote_schema (', 'SELECT MAX(version) AS version FROM vote_schema', 'PING']);
});

test('a poll\'s counts come back per choice as numbers', async (t) => {
  const { db } = database({ a: server() });
  t.deepEqual(await db.counts('show'), new Map([['a', 3]]));
});
