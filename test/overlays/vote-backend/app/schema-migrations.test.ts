import test from 'ava';
import { LATEST_SCHEMA, MIGRATIONS, pendingMigrations } from '../../../../overlays/vote-backend/app/schema-migrations.js';

test('a new database gets every migration, an up-to-date one none', (t) => {
  t.deepEqual(pendingMigrations(0), [...MIGRATIONS]);
  t.deepEqual(pendingMigrations(LATEST_SCHEMA), []);
});

test('migrations are numbered upwards, and every statement can run twice (several workers run them at once)', (t) => {
  MIGRATIONS.forEach((migration, index) => t.is(migration.version, index + 1));
  for (const statement of MIGRATIONS.flatMap((migration) => migration.statements)) t.regex(statement, /IF NOT EXISTS/);
});

test('every table has a primary key, which Galera needs, and votes are keyed by their id', (t) => {
  for (const statement of MIGRATIONS.flatMap((migration) => migration.statements).filter((text) => text.startsWith('CREATE TABLE'))) t.regex(statement, /PRIMARY KEY/);
  t.regex(MIGRATIONS[0]!.statements[0]!, /id BINARY\(16\) NOT NULL,[\s\S]*PRIMARY KEY \(id\)/);
});
