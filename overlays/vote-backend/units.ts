/**
 * vote-backend's systemd units and where its files live: the vote service (the bundled app under
 * Debian's nodejs, as its own system user, in the shared sandbox, its journal in its state
 * directory, the database password handed over by LoadCredential) and, where the image has its
 * own MariaDB, the oneshot that creates the database and the service's user before it starts.
 */
import { SERVICE_SANDBOX } from '../hardening.js';
import { EXIT_CONFIG, EXIT_STORAGE } from '../runtime/service-main.js';
import { DEFAULT_CONFIG_PATH } from './app/config.js';

/** Where the bundled service goes in the image. */
export const APP_PATH = '/usr/lib/mcdebian/vote-backend/main.mjs';
export const UNIT = 'mcdebian-vote-backend.service';
export const DATABASE_UNIT = 'mcdebian-vote-backend-database.service';
/** Debian's mariadb-server unit. */
export const MARIADB_UNIT = 'mariadb.service';
export const SERVICE_USER = 'votebackend';
/** The service's config (no secret inside: the password comes as a credential). */
export const CONFIG_PATH = DEFAULT_CONFIG_PATH;
/** Root's copy of the database password (0600): the units get it as a credential. */
export const PASSWORD_SECRET = '/etc/mcdebian/secrets/vote-backend/database-password';
/** The CA a remote database's certificate is checked against, when the config names one. */
export const CA_PATH = '/etc/mcdebian/vote-backend/database-ca.pem';
/** The journal: every vote answered 202 is here until the database has it. */
export const JOURNAL_DIR = '/var/lib/mcdebian-vote-backend/journal';
/** The local MariaDB's socket (Debian's 50-server.cnf). */
export const MARIADB_SOCKET = '/run/mysqld/mysqld.sock';
/** Creates the database and user; run by DATABASE_UNIT. */
export const SETUP_SCRIPT = '/usr/lib/mcdebian/vote-backend/setup-database';
/** The service's modes (check, health) as root, with the credential the unit would hand it. */
export const WRAPPER = '/usr/sbin/mcdebian-vote-backend';
/** A Galera node's settings: read after Debian's own 50-server.cnf and 60-galera.cnf. */
export const GALERA_CNF = '/etc/mysql/mariadb.conf.d/70-mcdebian-galera.cnf';
export const SYSCTL_PATH = '/etc/sysctl.d/60-mcdebian-vote-backend.conf';

export interface VoteUnitOptions {
  /** The image runs MariaDB (embedded or a Galera node): start after the database setup. */
  localDatabase: boolean;
  /** A listen port below 1024 needs CAP_NET_BIND_SERVICE. */
  privilegedPort: boolean;
  /** LimitNOFILE: one descriptor per open connection. */
  openFiles: number;
}

export function voteUnit(options: VoteUnitOptions): string {
  // Wants, not Requires: while the database is down the service still takes votes into its
  // journal, and drains it when the database comes back
  const database = options.localDatabase ? `After=${DATABASE_UNIT} ${MARIADB_UNIT}\nWants=${DATABASE_UNIT}\n` : '';
  const capabilities = options.privilegedPort
    ? 'AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n'
    : 'CapabilityBoundingSet=\n';
  return `[Unit]
Description=McDebian vote-backend: durable vote ingestion into MariaDB
After=network.target
${database}
[Service]
Type=exec
User=${SERVICE_USER}
Group=${SERVICE_USER}
ExecStart=/usr/bin/node ${APP_PATH} serve --config ${CONFIG_PATH}
LoadCredential=database-password:${PASSWORD_SECRET}
# the journal: a vote answered 202 is here, fsync'd, until a commit holds it
StateDirectory=mcdebian-vote-backend/journal
StateDirectoryMode=0700
LimitNOFILE=${options.openFiles}
${capabilities}Restart=always
RestartSec=2
# ${EXIT_CONFIG}: the config is wrong; ${EXIT_STORAGE}: a journal cannot be read; restarting fixes neither
RestartPreventExitStatus=${EXIT_CONFIG} ${EXIT_STORAGE}
# SIGTERM to the primary alone, which stops its workers after their last batch; then SIGKILL to all
KillMode=mixed
TimeoutStopSec=45
${SERVICE_SANDBOX}
[Install]
WantedBy=multi-user.target
`;
}

/** The oneshot that makes the database and the user in the local MariaDB before the service starts. */
export function databaseUnit(): string {
  return `[Unit]
Description=McDebian vote-backend: the votes database and its user in the local MariaDB
After=${MARIADB_UNIT}
Requires=${MARIADB_UNIT}
Before=${UNIT}
# retried until MariaDB answers (a Galera node takes its state transfer first)
StartLimitIntervalSec=0

[Service]
Type=oneshot
RemainAfterExit=yes
LoadCredential=database-password:${PASSWORD_SECRET}
ExecStart=${SETUP_SCRIPT}
Restart=on-failure
RestartSec=5
${SERVICE_SANDBOX}
[Install]
WantedBy=multi-user.target
`;
}
