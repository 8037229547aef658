/**
 * One persistent connection per process to MariaDB or MySQL (the `mariadb` connector), as the
 * original Go servers held one to RDS. Batches go in as one transaction of one batch() call,
 * which the connector sends as COM_STMT_BULK_EXECUTE to MariaDB 10.2.7 and later (one round
 * trip for the whole batch; to MySQL it pipelines the executes instead): INSERT IGNORE, so a
 * row whose id is there already is skipped and a replayed or retried batch counts nothing twice.
 *
 * The same transaction adds the rows it really inserted to `vote_counts` (schema-migrations.ts),
 * which the results read: a fresh batch id per try marks them, so a try whose COMMIT was
 * lost and that is sent again counts nothing twice either.
 *
 * Several endpoints (Galera nodes, or a primary and its standby) are tried in order. The
 * connector's PoolCluster retries only the getting of a connection, never a query that failed
 * (its filtered-cluster.js), so the failover is here: a connection error, or a node that says
 * it is not part of the primary component, drops the connection and the next try starts at the
 * next endpoint. A COMMIT that fails that way has an unknown outcome (the writeset may already
 * be applied on the other nodes): retrying the batch is safe for the same reason as a replay.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createConnection, type Connection, type ConnectionConfig, type SqlError } from 'mariadb';
import type { Endpoint } from './config.js';
import { pendingMigrations, SCHEMA_TABLE } from './schema-migrations.js';
import type { Vote } from './vote-store.js';

/** What the batcher and the results need of a database. */
export interface VoteDatabase {
  /** Inserts the votes in one transaction; rejects when they may not be in. */
  insert(votes: readonly Vote[]): Promise<void>;
  /** Votes per choice of a poll, as committed. */
  counts(poll: string): Promise<Map<string, number>>;
  /** Connects when not connected (creating or migrating the schema), else checks the connection; rejects when no endpoint answers. */
  ping(): Promise<void>;
  /** Where it is connected, for /healthz. */
  status(): DatabaseStatus;
  close(): Promise<void>;
}

export interface DatabaseStatus {
  connected: boolean;
  endpoint?: string;
  lastError?: string;
}

export interface DatabaseOptions {
  endpoints: readonly Endpoint[];
  user: string;
  password: string;
  database: string;
  /** TLS with the server's certificate verified (against `ca`, else the system's CAs); null on a socket or loopback. */
  tls: { ca?: string } | null;
  connectTimeoutMs: number;
  /** Recorded with each vote. */
  serverId: string;
  /** This process's row in vote_counts: the server and the worker (at most 100 characters). */
  writer: string;
  /** Opens a connection (tests replace the connector's createConnection). */
  connect?: (config: ConnectionConfig) => Promise<Connection>;
}

const INSERT = 'INSERT IGNORE INTO votes (id, poll, choice, voter, address, cast_at, server, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
const ADD_COUNTS = 'INSERT INTO vote_counts (poll, choice, writer, votes) SELECT poll, choice, ?, COUNT(*) FROM votes WHERE batch = ? GROUP BY poll, choice ' +
  'ON DUPLICATE KEY UPDATE votes = votes + VALUES(votes)';
const COUNTS = 'SELECT choice, SUM(votes) AS n FROM vote_counts WHERE poll = ? GROUP BY choice';

/** ER_UNKNOWN_COM_ERROR: what a Galera node outside the primary component answers ("WSREP has not yet prepared node for application use"). */
const NOT_PRIMARY = 1047;
/** ER_LOCK_DEADLOCK: how Galera reports a certification conflict at commit (galera-4's README, 7.1). */
export const DEADLOCK = 1213;
/** Tries of a batch that deadlocks, at once, before it fails (and waits for the batcher's next try). */
const DEADLOCK_TRIES = 3;

export const describeEndpoint = (endpoint: Endpoint): string => ('socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`);

/** DATETIME(3) in UTC: the connector would turn a Date into the process's local time. */
const utc = (at: number): string => new Date(at).toISOString().slice(0, 23).replace('T', ' ');

export class MariaDbVoteDatabase implements VoteDatabase {
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  /** The endpoint to try first: the one last connected to, or the one after the last that failed. */
  #next = 0;
  #endpoint: string | undefined;
  #lastError: string | undefined;
  /** One command at a time on the one connection: a results query must not land inside a batch's transaction. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(private readonly options: DatabaseOptions) {}

  insert(votes: readonly Vote[]): Promise<void> {
    return this.#run(async (connection) => {
      // InnoDB rolls a deadlock's victim back and asks for the transaction again: two workers'
      // batches do deadlock (ADD_COUNTS' SELECT takes shared next-key locks on votes_batch under
      // REPEATABLE READ, and the other batch inserts into those gaps); so does a Galera conflict
      for (let tries = 1; ; tries++) {
        try {
          return await this.#insertOnce(connection, votes);
        } catch (error) {
          if ((error as SqlError).errno !== DEADLOCK || tries >= DEADLOCK_TRIES) throw error;
        }
      }
    });
  }

  async #insertOnce(connection: Connection, votes: readonly Vote[]): Promise<void> {
    // new for every try: the rows of an earlier try that did commit keep that try's id
    const batch = randomBytes(8);
    const rows = votes.map((vote) => [Buffer.from(vote.id, 'hex'), vote.poll, vote.choice, vote.voter ?? null, vote.address ?? null, utc(vote.at), this.options.serverId, batch]);
    await connection.beginTransaction();
    try {
      await connection.batch(INSERT, rows);
      await connection.query(ADD_COUNTS, [this.options.writer, batch]);
      await connection.commit();
    } catch (error) {
      if (!(error as SqlError).fatal) await connection.rollback().catch(() => undefined);
      throw error;
    }
  }

  counts(poll: string): Promise<Map<string, number>> {
    return this.#run(async (connection) => {
      const rows = await connection.query<{ choice: string; n: bigint | number }[]>(COUNTS, [poll]);
      return new Map(rows.map((row) => [row.choice, Number(row.n)]));
    });
  }

  ping(): Promise<void> {
    return this.#run((connection) => connection.ping());
  }

  status(): DatabaseStatus {
    const connected = this.#connection !== undefined && this.#connection.isValid();
    return { connected, ...(this.#endpoint ? { endpoint: this.#endpoint } : {}), ...(this.#lastError ? { lastError: this.#lastError } : {}) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.end().catch(() => connection.destroy());
  }

  /** Runs `work` on the connection, after the commands before it; a failure that cost the connection moves to the next endpoint. */
  #run<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    const result = this.#queue.then(async () => {
      if (this.#closed) throw new Error('the database connection is closed');
      const connection = await this.#connect();
      try {
        return await work(connection);
      } catch (error) {
        this.#lastError = describeSqlError(error);
        if ((error as SqlError).fatal || (error as SqlError).errno === NOT_PRIMARY || !connection.isValid()) this.#drop(connection);
        throw error;
      }
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #drop(connection: Connection): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#endpoint = undefined;
    this.#next = (this.#next + 1) % this.options.endpoints.length;
    connection.destroy();
  }

  async #connect(): Promise<Connection> {
    if (this.#connection?.isValid()) return this.#connection;
    this.#connecting ??= this.#connectAny().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** Each endpoint once, starting at #next; rejects with every endpoint's error. */
  async #connectAny(): Promise<Connection> {
    const { endpoints } = this.options;
    const failures: string[] = [];
    for (let tried = 0; tried < endpoints.length; tried++) {
      const index = (this.#next + tried) % endpoints.length;
      const endpoint = endpoints[index]!;
      try {
        const connection = await (this.options.connect ?? createConnection)(connectionConfig(endpoint, this.options));
        try {
          await migrate(connection);
        } catch (error) {
          connection.destroy();
          throw error;
        }
        connection.on('error', () => undefined); // a lost connection is noticed by the next command
        this.#connection = connection;
        this.#next = index;
        this.#endpoint = describeEndpoint(endpoint);
        this.#lastError = undefined;
        return connection;
      } catch (error) {
        failures.push(`${describeEndpoint(endpoint)}: ${describeSqlError(error)}`);
      }
    }
    this.#next = (this.#next + 1) % endpoints.length;
    this.#lastError = failures.join('; ');
    throw new Error(`no database endpoint answered (${this.#lastError})`);
  }
}

/**
 * The connector's settings for one endpoint. With TLS the server's certificate is verified
 * (rejectUnauthorized) against the CA file or the default CAs, and a host name is sent as the
 * TLS server name: Node's tls.connect sends no SNI unless `servername` is given (its docs:
 * "Server name for the SNI TLS extension"), and a proxy or a shared endpoint in front of the
 * database may route by it; the connector also checks the certificate against `servername`
 * before `host` (its handshake/authentication.js). An IP address is never sent as a server
 * name (RFC 6066 section 3: "Literal IPv4 and IPv6 addresses are not permitted").
 */
export function connectionConfig(endpoint: Endpoint, options: Pick<DatabaseOptions, 'user' | 'password' | 'database' | 'tls' | 'connectTimeoutMs'>): ConnectionConfig {
  const { user, password, database, tls, connectTimeoutMs } = options;
  const where = 'socketPath' in endpoint ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
  const servername = 'host' in endpoint && isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {};
  return {
    ...where,
    user,
    password,
    database,
    connectTimeout: connectTimeoutMs,
    // a server that stops answering mid-batch must not hold the batch for ever
    socketTimeout: 60_000,
    ...(tls ? { ssl: { rejectUnauthorized: true, ...servername, ...(tls.ca ? { ca: tls.ca } : {}) } } : {}),
  };
}

/** Creates and migrates the schema (schema-migrations.ts). */
async function migrate(connection: Connection): Promise<void> {
  await connection.query(SCHEMA_TABLE);
  const [row] = await connection.query<{ version: number | null }[]>('SELECT MAX(version) AS version FROM vote_schema');
  for (const migration of pendingMigrations(Number(row?.version ?? 0))) {
    for (const statement of migration.statements) await connection.query(statement);
    await connection.query('INSERT IGNORE INTO vote_schema (version, applied_at) VALUES (?, UTC_TIMESTAMP())', [migration.version]);
  }
}

/** An error's message without the connector's SQL echo and connection details. */
export function describeSqlError(error: unknown): string {
  const sql = error as Partial<SqlError>;
  const text = sql.sqlMessage ?? (error instanceof Error ? error.message : String(error));
  return sql.errno ? `${text} (errno ${sql.errno}${sql.code ? ` ${sql.code}` : ''})` : text;
}
