/**
 * vote-backend's files: the service's JSON config (the shape app/config.ts checks), the database
 * password (root's, 0600, a credential of the units), a remote database's CA, the units and the
 * system user, the listen queue's sysctls, and where the image runs MariaDB, the database setup
 * script and, on a Galera node, its wsrep settings; a `mcdebian-vote-backend` command runs the
 * service's check and health modes as root.
 */
import type { LayerFile } from '../../rootfs/configure.js';
import { fileFor, secretFile, type OverlayCheck, type OverlayContext, type OverlayRender, type ReadFile } from '../overlay.js';
import { renderSetupScript } from './database-setup.js';
import { GALERA_PROVIDER, renderGaleraCnf, thisNode } from './galera.js';
import { HOST_PORT, type DatabaseConfig, type VoteBackendConfig } from './schema.js';
import {
  APP_PATH, CA_PATH, CONFIG_PATH, DATABASE_UNIT, databaseUnit, GALERA_CNF, JOURNAL_DIR, MARIADB_SOCKET, MARIADB_UNIT, PASSWORD_SECRET,
  SERVICE_USER, SETUP_SCRIPT, SYSCTL_PATH, UNIT, voteUnit, WRAPPER,
} from './units.js';

const file = (path: string, content: string, mode = 0o644): LayerFile => ({ path, content, mode });

/** The service's database endpoints: the local socket first where the image runs MariaDB. */
function endpointsOf(database: DatabaseConfig): object[] {
  if (database.kind === 'embedded') return [{ socketPath: MARIADB_SOCKET }];
  if (database.kind === 'galera') {
    const self = thisNode(database);
    return [{ socketPath: MARIADB_SOCKET }, ...database.nodes.filter((node) => node !== self).map((node) => ({ host: node.address, port: node.port }))];
  }
  return database.endpoints.map((endpoint) => {
    const [, host, port] = HOST_PORT.exec(endpoint)!;
    return { host, port: port === undefined ? 3306 : Number(port) };
  });
}

/** The service's config (app/config.ts's schema), as JSON. */
export function renderServiceConfig(config: VoteBackendConfig, context: Pick<OverlayContext, 'hostname'>): string {
  const { database } = config;
  const service = {
    listen: config.listen,
    workers: config.workers,
    serverId: context.hostname,
    journalDir: JOURNAL_DIR,
    maxPendingVotes: config.maxPendingVotes,
    batch: config.batch,
    database: {
      endpoints: endpointsOf(database),
      user: database.user,
      database: database.database,
      passwordFile: '%d/database-password',
      // on the socket and a Galera cluster's own network: no TLS (README, "What is not verified")
      tls: database.kind === 'remote' ? (database.caFile ? { caFile: CA_PATH } : {}) : null,
    },
    polls: config.polls,
    corsOrigins: config.corsOrigins,
    limits: { ...config.limits, perVoter: config.limits.perVoter ?? null, perAddress: config.limits.perAddress ?? null },
    clientAddressHeader: config.clientAddressHeader ?? null,
    page: config.page,
    retryAfterSeconds: config.retryAfterSeconds,
  };
  return `${JSON.stringify(service, null, 2)}\n`;
}

/**
 * The kernel caps a socket's accept queue at net.core.somaxconn (listen(2)) and its SYN queue at
 * tcp_max_syn_backlog (tcp(7)): both go up to the backlog, never below Linux's somaxconn default
 * of 4096 (since 5.4), which other services rely on.
 */
export function renderSysctl(config: VoteBackendConfig): string {
  const queue = Math.max(config.listen.backlog, 4096);
  return `# McDebian vote-backend: listen.backlog is ${config.listen.backlog}; the kernel caps it at these
net.core.somaxconn = ${queue}
net.ipv4.tcp_max_syn_backlog = ${queue}
`;
}

/** Runs the service's modes as root with the password where the unit's credential would be. */
const WRAPPER_SCRIPT = `#!/bin/sh
# McDebian vote-backend on the device: check | health (see ${APP_PATH} --help)
set -e
credentials=$(mktemp -d)
trap 'rm -rf "$credentials"' EXIT
ln -s ${PASSWORD_SECRET} "$credentials/database-password"
CREDENTIALS_DIRECTORY=$credentials /usr/bin/node ${APP_PATH} "$@" --config ${CONFIG_PATH}
`;

function databaseFiles(database: DatabaseConfig, files: readonly ReadFile[]): LayerFile[] {
  if (database.kind === 'remote') return database.caFile ? [file(CA_PATH, fileFor(files, 'database.caFile').content ?? '')] : [];
  return [
    file(SETUP_SCRIPT, renderSetupScript(database), 0o755),
    file(`/etc/systemd/system/${DATABASE_UNIT}`, databaseUnit()),
    ...(database.kind === 'galera' ? [file(GALERA_CNF, renderGaleraCnf(database))] : []),
  ];
}

function checksOf(database: DatabaseConfig): OverlayCheck[] {
  const checks: OverlayCheck[] = [
    { description: 'the image\'s nodejs parses the bundled service', argv: ['node', '--check', APP_PATH] },
    { description: 'the service reads its config with no error', argv: [WRAPPER, 'check'] },
    { description: `the ${SERVICE_USER} user exists`, argv: ['id', SERVICE_USER] },
  ];
  if (database.kind === 'galera') checks.push({ description: 'Debian\'s galera-4 provider is where the settings say', argv: ['test', '-f', GALERA_PROVIDER] });
  // mariadbd refuses an unknown variable in its option files even with --help (exit 7)
  if (database.kind !== 'remote') checks.push({ description: 'mariadbd reads its option files', argv: ['mariadbd', '--help', '--verbose'], failOn: /\[ERROR\]/ });
  return checks;
}

function describeDatabase(database: DatabaseConfig, password: ReadFile): string {
  if (database.kind === 'embedded') {
    return `MariaDB on this image, database ${database.database}, user ${database.user}, password ${password.path}${password.generated || password.content === undefined ? ' (generated at build)' : ''}`;
  }
  if (database.kind === 'remote') return `remote ${database.endpoints.join(', ')}, database ${database.database} as ${database.user}, TLS verified against ${database.caFile ?? 'the system\'s CAs'}`;
  const self = thisNode(database);
  return `Galera node ${self.name} (${self.address}) of cluster ${database.clusterName} with ${database.nodes.map((node) => node.name).join(', ')}; `
    + 'a new cluster starts with galera_new_cluster on one node (README)';
}

export function renderVoteBackend(config: VoteBackendConfig, files: readonly ReadFile[], context: OverlayContext): OverlayRender {
  const { database } = config;
  const password = fileFor(files, 'database.passwordFile');
  const local = database.kind !== 'remote';
  return {
    files: [
      file(CONFIG_PATH, renderServiceConfig(config, context)),
      secretFile(PASSWORD_SECRET, password, 'vote-backend'),
      file('/usr/lib/sysusers.d/mcdebian-vote-backend.conf', `u ${SERVICE_USER} - "McDebian vote-backend" /nonexistent /usr/sbin/nologin\n`),
      file(`/etc/systemd/system/${UNIT}`, voteUnit({ localDatabase: local, privilegedPort: config.listen.port < 1024, openFiles: config.openFiles })),
      file(SYSCTL_PATH, renderSysctl(config)),
      file(WRAPPER, WRAPPER_SCRIPT, 0o755),
      ...databaseFiles(database, files),
    ],
    units: local ? [MARIADB_UNIT, DATABASE_UNIT, UNIT] : [UNIT],
    checks: checksOf(database),
    outputs: [],
    notes: [
      `votes on ${config.listen.address}:${config.listen.port} for ${config.polls.map((poll) => poll.id).join(', ')}; ${config.workers ? `${config.workers} workers` : 'a worker per CPU'}; `
      + `batches of up to ${config.batch.maxVotes} every ${config.batch.intervalMs} ms`,
      `database: ${describeDatabase(database, password)}`,
    ],
  };
}
