/**
 * What vote-backend puts in the layer: the service's config (read back by the service's own
 * parseConfig, so that the two cannot drift), the password as a 0600 secret, the CA, the
 * sysctls, the checks and the plan's notes, for each of the three database shapes.
 */
import test from 'ava';
import { parseConfig } from '../../../overlays/vote-backend/app/config.js';
import type { ReadFile } from '../../../overlays/overlay.js';
import { renderServiceConfig, renderSysctl, renderVoteBackend } from '../../../overlays/vote-backend/render.js';
import type { VoteBackendConfig } from '../../../overlays/vote-backend/schema.js';
import { caFile, galera, parse, passwordFile, POLL, remote, server } from './fixtures.js';

const CREDENTIALS = { CREDENTIALS_DIRECTORY: '/run/credentials/mcdebian-vote-backend.service' };
const CONFIG = '/etc/mcdebian/vote-backend/config.json';
const render = (config: VoteBackendConfig, files: ReadFile[] = [passwordFile()]) => renderVoteBackend(config, files, server);
const fileOf = (rendered: ReturnType<typeof render>, path: string) => {
  const found = rendered.files.find((file) => file.path === path);
  if (!found) throw new Error(`${path} was not rendered`);
  return found;
};
/** The rendered service config as the service reads it on the device. */
const serviceConfigOf = (rendered: ReturnType<typeof render>) => parseConfig(JSON.parse(fileOf(rendered, CONFIG).content!), CONFIG, CREDENTIALS);

test('embedded: the service reads its rendered config and reaches MariaDB on its socket, no TLS, the password from its credential', (t) => {
  const config = parse({ polls: [{ ...POLL, closesAt: '2026-05-01T22:00:00+02:00' }], workers: 2, corsOrigins: ['https://vote.example.com'], limits: { perVoter: { max: 1, windowSeconds: 3600 } } });
  const service = serviceConfigOf(render(config));
  t.deepEqual(service.database.endpoints, [{ socketPath: '/run/mysqld/mysqld.sock' }]);
  t.is(service.database.tls, null);
  t.is(service.database.passwordFile, '/run/credentials/mcdebian-vote-backend.service/database-password');
  t.like(service.database, { user: 'vote', database: 'votes' });
  t.is(service.serverId, 'vote1');
  t.is(service.journalDir, '/var/lib/mcdebian-vote-backend/journal');
  t.is(service.workers, 2);
  t.is(service.polls[0]?.closesAt, Date.parse('2026-05-01T20:00:00Z'));
  t.deepEqual(service.corsOrigins, ['https://vote.example.com']);
  t.deepEqual(service.limits.perVoter, { max: 1, windowSeconds: 3600 });
  t.is(service.limits.perAddress, null);
  t.deepEqual(service.listen, { address: '0.0.0.0', port: 8080, backlog: 4096 });
  t.deepEqual(service.batch, { intervalMs: 1000, maxVotes: 10_000 });
});

test('remote: every endpoint in order (3306 where none is given), TLS verified against the CA the config names, which lands in the layer', (t) => {
  const rendered = render(parse({ database: remote({ caFile: 'rds-ca.pem' }) }), [passwordFile(), caFile()]);
  const service = serviceConfigOf(rendered);
  t.deepEqual(service.database.endpoints, [{ host: 'db.example.com', port: 3306 }, { host: 'standby.example.com', port: 3307 }]);
  t.deepEqual(service.database.tls, { caFile: '/etc/mcdebian/vote-backend/database-ca.pem' });
  t.regex(fileOf(rendered, '/etc/mcdebian/vote-backend/database-ca.pem').content!, /BEGIN CERTIFICATE/);
  t.deepEqual(rendered.units, ['mcdebian-vote-backend.service'], 'no local MariaDB, no setup unit');
  t.false(rendered.files.some((file) => file.path.includes('setup-database') || file.path.startsWith('/etc/mysql/')));
});

test('remote without a CA: TLS is still on and verified, against the system\'s CAs', (t) => {
  t.deepEqual(serviceConfigOf(render(parse({ database: remote() }))).database.tls, {});
});

test('a Galera node: this node\'s socket first, then the other nodes by address; the setup unit and the wsrep settings', (t) => {
  const rendered = render(parse({ database: galera({ node: 'db2' }) }));
  t.deepEqual(serviceConfigOf(rendered).database.endpoints, [{ socketPath: '/run/mysqld/mysqld.sock' }, { host: '10.0.0.11', port: 3306 }, { host: '10.0.0.13', port: 3306 }]);
  t.deepEqual(rendered.units, ['mariadb.service', 'mcdebian-vote-backend-database.service', 'mcdebian-vote-backend.service']);
  t.regex(fileOf(rendered, '/etc/mysql/mariadb.conf.d/70-mcdebian-galera.cnf').content!, /^wsrep_node_name = db2$/m);
  t.true(rendered.checks.some((check) => check.argv.join(' ') === 'test -f /usr/lib/galera/libgalera_smm.so'));
});

test('the password is a 0600 secret listed by field, and in no other file', (t) => {
  const rendered = render(parse({ database: remote() }), [passwordFile('p\'w\\"x\n')]);
  const secret = fileOf(rendered, '/etc/mcdebian/secrets/vote-backend/database-password');
  t.is(secret.mode, 0o600);
  t.is(secret.content, 'p\'w\\"x\n');
  t.deepEqual(secret.secret, { overlay: 'vote-backend', field: 'database.passwordFile', source: '/cfg/secrets/db' });
  for (const file of rendered.files.filter((entry) => entry !== secret)) t.false((file.content ?? '').includes('p\'w\\"x'), file.path);
});

test('the listen queue: somaxconn and the SYN backlog follow listen.backlog, never below Linux\'s default of 4096', (t) => {
  t.regex(renderSysctl(parse({ listen: { backlog: 16_384 } })), /^net\.core\.somaxconn = 16384\nnet\.ipv4\.tcp_max_syn_backlog = 16384\n/m);
  t.regex(renderSysctl(parse({ listen: { backlog: 1024 } })), /^net\.core\.somaxconn = 4096$/m);
  t.regex(fileOf(render(parse()), '/etc/sysctl.d/60-mcdebian-vote-backend.conf').content!, /^net\.core\.somaxconn = 4096$/m);
});

test('the service\'s own check reads the rendered config in the image, MariaDB\'s option files are checked where the image runs it', (t) => {
  const embedded = render(parse()).checks.map((check) => check.argv.join(' '));
  t.deepEqual(embedded, ['node --check /usr/lib/mcdebian/vote-backend/main.mjs', '/usr/sbin/mcdebian-vote-backend check', 'id votebackend', 'mariadbd --help --verbose']);
  t.false(render(parse({ database: remote() })).checks.some((check) => check.argv[0] === 'mariadbd'));
  t.regex(fileOf(render(parse()), '/usr/sbin/mcdebian-vote-backend').content!, /ln -s \/etc\/mcdebian\/secrets\/vote-backend\/database-password "\$credentials\/database-password"/);
});

test('the plan says where votes come in and where they go, and that a new Galera cluster starts on one node', (t) => {
  t.deepEqual(render(parse()).notes, [
    'votes on 0.0.0.0:8080 for final; a worker per CPU; batches of up to 10000 every 1000 ms',
    'database: MariaDB on this image, database votes, user vote, password secrets/db',
  ]);
  t.regex(render(parse({ workers: 3 })).notes[0]!, /; 3 workers;/);
  const pending = { ...passwordFile(), content: undefined };
  t.regex(render(parse(), [pending]).notes[1]!, /password secrets\/db \(generated at build\)$/);
  t.regex(render(parse({ database: galera() })).notes[1]!, /^database: Galera node db1 \(10\.0\.0\.11\) of cluster votes with db1, db2, db3; a new cluster starts with galera_new_cluster on one node/);
});

test('the rendered config of any shape passes the service\'s schema (none of its fields is left out or misnamed)', (t) => {
  for (const database of [{ kind: 'embedded' }, remote(), galera()]) {
    const text = renderServiceConfig(parse({ database }), server);
    t.notThrows(() => parseConfig(JSON.parse(text), 'config.json', CREDENTIALS), JSON.stringify(database));
  }
});
