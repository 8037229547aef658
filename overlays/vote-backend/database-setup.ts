/**
 * The script the database unit runs: as root over the local MariaDB's socket (Debian's root
 * logs in by unix_socket), it creates the database and the service's user, and sets the user's
 * password to the credential's; run again, it changes nothing but a changed password. The
 * service creates and migrates its own tables. On a Galera node the same statements run on every
 * node: CREATE USER, ALTER USER and GRANT replicate as DDL, and each is idempotent.
 */
import type { DatabaseConfig } from './schema.js';
import { MARIADB_SOCKET } from './units.js';

/** The hosts the service's user may log in from: the socket, and on Galera every node's address. */
export function userHosts(database: DatabaseConfig): string[] {
  if (database.kind !== 'galera') return ['localhost'];
  return ['localhost', ...new Set(database.nodes.map((node) => node.address))];
}

export function renderSetupScript(database: Exclude<DatabaseConfig, { kind: 'remote' }>): string {
  // names are letters, digits and _ (schema.ts): safe inside backquotes and quotes as they are
  const users = userHosts(database).map((host) => `'${database.user}'@'${host}'`);
  const statements = [
    `CREATE DATABASE IF NOT EXISTS \\\`${database.database}\\\`;`,
    ...users.flatMap((user) => [
      `CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY '$quoted';`,
      `ALTER USER ${user} IDENTIFIED BY '$quoted';`,
      `GRANT ALL PRIVILEGES ON \\\`${database.database}\\\`.* TO ${user};`,
    ]),
  ];
  return `#!/bin/sh
# McDebian vote-backend: the database ${database.database} and its user ${database.user} in the local MariaDB.
set -eu
password=$(cat "\${CREDENTIALS_DIRECTORY:?run it from its unit, which hands it the password}/database-password")
# inside '...' in SQL, backslash and quote are escaped (the default sql_mode has no NO_BACKSLASH_ESCAPES);
# the password reaches mariadb on stdin, never in an argument another user could read
quoted=$(printf '%s' "$password" | sed -e 's/\\\\/\\\\\\\\/g' -e "s/'/\\\\\\\\'/g")
mariadb --no-defaults --protocol=socket --socket=${MARIADB_SOCKET} --user=root --batch <<SQL
${statements.join('\n')}
SQL
`;
}
