/**
 * A three-node MariaDB Galera cluster on loopback, each node started from the settings the
 * overlay renders for it (read by MariaDB's own option parser, my_print_defaults; only paths and
 * ports moved into the test's directory), the vote service (the compiled main.js, two workers)
 * with the rendered endpoints of node n1: its socket first, then n2 and n3. Under load the node
 * the service writes to is killed with SIGKILL. Every vote answered 202 must be in the table
 * exactly once, the two surviving nodes must hold the same rows, and the results must count each
 * vote once; `mcdebian status`'s Galera query, run on a survivor, sees a Primary component of
 * two. What it measured is printed (t.log): votes acknowledged, lost, found twice.
 */
import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ReadFile } from '../../../overlays/overlay.js';
import { renderVoteBackend, renderServiceConfig } from '../../../overlays/vote-backend/render.js';
import { parseVoteBackendStatus, voteBackendStatus } from '../../../overlays/vote-backend/status.js';
import { voteBackendSchema, type VoteBackendConfig } from '../../../overlays/vote-backend/schema.js';
import { GALERA_CNF, MARIADB_SOCKET, SETUP_SCRIPT } from '../../../overlays/vote-backend/units.js';
import { getBoard } from '../../../board/index.js';
import { freePort } from '../../helpers/guest.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { startMariaDb, type RunningMariaDb } from './helpers/mariadb.js';
import { waitUntil } from './helpers/vote-service.js';
import { startVoters } from './helpers/voters.js';

const SERVICE = resolve('dist/overlays/vote-backend/app/main.js');
const PASSWORD = 'galera \'test\' \\ password';
const NODES = ['n1', 'n2', 'n3'] as const;
/** Votes acknowledged before the kill, and after it: the second half proves the failover took writes. */
const BEFORE_KILL = 4000;
const AFTER_KILL = 4000;
const CLIENTS = 12;

const test = testNeeding({
  tools: { mariadbd: 'mariadb-server', 'mariadb-install-db': 'mariadb-server', mariadb: 'mariadb-client', my_print_defaults: 'mariadb-client', rsync: 'rsync', wsrep_sst_rsync: 'mariadb-server', '/usr/lib/galera/libgalera_smm.so': 'galera-4' },
  root: 'mariadbd is started by root and runs as the mysql user, as Debian\'s unit does',
}, { serial: true });

interface Ports { port: number; groupPort: number; istPort: number; sstPort: number }

/** The cluster as mcdebian.yaml would describe it, with ports free on this machine. */
async function clusterConfig(node: string, ports: Record<string, Ports>): Promise<VoteBackendConfig> {
  return voteBackendSchema.parse({
    polls: [{ id: 'final', title: 'Final', choices: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }, { id: 'c', label: 'C' }] }],
    workers: 2,
    batch: { intervalMs: 200, maxVotes: 500 },
    database: {
      kind: 'galera', clusterName: 'votes_test', node, passwordFile: 'secrets/db',
      nodes: NODES.map((name) => ({ name, address: '127.0.0.1', ...ports[name] })),
    },
  });
}

const context = { board: getBoard('x86-64'), hostname: 'vote1', lanAddress: '192.168.1.1/24' };
const password: ReadFile = { field: ['database', 'passwordFile'], path: 'secrets/db', file: '/cfg/secrets/db', content: `${PASSWORD}\n`, secret: true, generated: false };

function renderedFile(config: VoteBackendConfig, path: string): string {
  const found = renderVoteBackend(config, [password], context).files.find((file) => file.path === path);
  if (found?.content === undefined) throw new Error(`${path} was not rendered`);
  return found.content;
}

/** The [galera] group of the rendered file as mariadbd reads it: MariaDB's own parser turns it into options. */
async function galeraOptions(dir: string, config: VoteBackendConfig): Promise<string[]> {
  const cnf = join(dir, 'galera.cnf');
  await writeFile(cnf, renderedFile(config, GALERA_CNF));
  const { stdout } = await execa('my_print_defaults', [`--defaults-file=${cnf}`, 'galera']);
  return stdout.split('\n').filter(Boolean);
}

async function startNode(t: ExecutionContext, dir: string, config: VoteBackendConfig, port: number, first: boolean): Promise<RunningMariaDb> {
  const nodeDir = join(dir, config.database.kind === 'galera' ? config.database.node : 'x');
  await mkdir(nodeDir, { recursive: true });
  const server = await startMariaDb({
    dir: nodeDir, port, args: await galeraOptions(nodeDir, config),
    // a new cluster starts on one node only (galera_new_cluster does this through systemd)
    ...(first ? { firstStartArgs: ['--wsrep-new-cluster'] } : {}),
    readyTimeoutMs: 180_000,
    // as Debian's mariadb.service runs it; as root, the rsync state transfer would write as nobody
    user: 'mysql',
  });
  t.teardown(() => server.kill());
  return server;
}

/** The rendered setup script, run on node n1 over its socket: the user replicates to the others. */
async function setUpDatabase(dir: string, config: VoteBackendConfig, node: RunningMariaDb): Promise<void> {
  const script = join(dir, 'setup-database');
  await writeFile(script, renderedFile(config, SETUP_SCRIPT).replaceAll(MARIADB_SOCKET, node.socket), { mode: 0o755 });
  const credentials = join(dir, 'credentials');
  await mkdir(credentials, { recursive: true });
  await writeFile(join(credentials, 'database-password'), `${PASSWORD}\n`, { mode: 0o600 });
  await execa(script, [], { env: { CREDENTIALS_DIRECTORY: credentials } });
}

const clusterSize = async (node: RunningMariaDb) => Number((await node.sql("SHOW STATUS LIKE 'wsrep_cluster_size'")).split('\t')[1]);

/** The parts of the rendered service config the test moves. */
interface ServiceConfig {
  listen: object;
  journalDir: string;
  database: { endpoints: { socketPath?: string }[]; passwordFile: string };
}

/** Starts the service with node n1's rendered config, the socket and journal moved into `dir`. */
async function startService(t: ExecutionContext, dir: string, config: VoteBackendConfig, n1: RunningMariaDb): Promise<{ url: string; child: ResultPromise }> {
  const port = await freePort();
  const service = JSON.parse(renderServiceConfig(config, { hostname: 'vote1' })) as ServiceConfig;
  service.listen = { ...service.listen, address: '127.0.0.1', port };
  service.journalDir = join(dir, 'journal');
  service.database.endpoints = service.database.endpoints.map((endpoint) => (endpoint.socketPath === MARIADB_SOCKET ? { socketPath: n1.socket } : endpoint));
  service.database.passwordFile = join(dir, 'credentials', 'database-password');
  await writeFile(join(dir, 'service.json'), JSON.stringify(service));
  const child = execa('node', [SERVICE, 'serve', '--config', join(dir, 'service.json')], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: { file: join(dir, 'service.log') } });
  t.teardown(async () => {
    child.kill('SIGKILL');
    await child;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('the vote service to answer', async () => (await fetch(`${url}/healthz`)).status < 500 || child.exitCode !== null, (done) => done, 60_000);
  if (child.exitCode !== null) throw new Error(`the vote service exited with ${child.exitCode}`);
  return { url, child };
}

async function journalPending(url: string): Promise<number> {
  const health = await (await fetch(`${url}/healthz`)).json() as { journal?: { pending?: number } };
  return health.journal?.pending ?? Number.NaN;
}

/** Each vote row's id and how often it is there, read after every earlier write is applied here (wsrep_sync_wait). */
async function rowsOn(node: RunningMariaDb): Promise<Map<string, number>> {
  const text = await node.sql('SET SESSION wsrep_sync_wait = 1; SELECT LOWER(HEX(id)), COUNT(*) FROM votes.votes GROUP BY id');
  return new Map(text.split('\n').filter(Boolean).map((line) => {
    const [id, count] = line.split('\t');
    return [id!, Number(count)];
  }));
}

const countedOn = async (node: RunningMariaDb) => Number(await node.sql('SET SESSION wsrep_sync_wait = 1; SELECT COALESCE(SUM(votes), 0) FROM votes.vote_counts'));

test('a node killed under load loses no vote answered 202: each is in the table once, the surviving nodes agree', async (t) => {
  t.timeout(600_000);
  const dir = await makeTempDir(t, 'vote-galera-');
  await chmod(dir, 0o755); // the servers run as mysql
  const ports: Record<string, Ports> = {};
  for (const name of NODES) ports[name] = { port: await freePort(), groupPort: await freePort(), istPort: await freePort(), sstPort: await freePort() };
  const configs = await Promise.all(NODES.map((name) => clusterConfig(name, ports)));
  const nodes: RunningMariaDb[] = [];
  for (const [index, config] of configs.entries()) {
    nodes.push(await startNode(t, dir, config, ports[NODES[index]!]!.port, index === 0));
    await waitUntil(`node ${NODES[index]} in a cluster of ${index + 1}`, () => clusterSize(nodes[0]!), (size) => size === index + 1, 180_000);
  }
  const [n1, n2, n3] = nodes as [RunningMariaDb, RunningMariaDb, RunningMariaDb];
  await setUpDatabase(dir, configs[0]!, n1);

  const service = await startService(t, dir, configs[0]!, n1);
  const load = startVoters(service.url, { clients: CLIENTS });
  try {
    await load.acceptedMore(BEFORE_KILL, 180_000);
    await n1.kill();
    await load.acceptedMore(AFTER_KILL, 180_000);
  } finally {
    await load.stop();
  }
  await waitUntil('the journals to drain into n2 or n3', () => journalPending(service.url), (pending) => pending === 0, 180_000);

  const [on2, on3] = [await rowsOn(n2), await rowsOn(n3)];
  const acknowledged = new Set(load.accepted.keys());
  const answered202 = load.answers.get(202) ?? 0;
  const lost = [...acknowledged].filter((id) => !on2.has(id));
  const twice = [...on2].filter(([, count]) => count !== 1);
  const counted2 = await countedOn(n2);
  t.log(`acknowledged: ${acknowledged.size} votes (${answered202} answers), lost: ${lost.length}, in the table more than once: ${twice.length}; `
    + `rows on n2: ${on2.size}, on n3: ${on3.size}; counted in the results: ${counted2}; refused or unanswered: ${JSON.stringify(Object.fromEntries([...load.answers].filter(([status]) => status !== 202)))}`);
  t.is(acknowledged.size, answered202, 'no id was answered twice');
  t.deepEqual(lost, [], 'every vote answered 202 is on the surviving nodes');
  t.deepEqual(twice, []);
  t.deepEqual([...on3.keys()].sort(), [...on2.keys()].sort(), 'the surviving nodes hold the same votes');
  t.is(counted2, on2.size, 'the results count each vote once');
  t.is(await countedOn(n3), counted2);

  // mcdebian status on a survivor: its wsrep query (only the file it looks for and the socket moved) and the service's /healthz
  const query = voteBackendStatus.commands[2]!.replaceAll(GALERA_CNF, join(dir, 'n2', 'galera.cnf')).replaceAll(MARIADB_SOCKET, n2.socket);
  const wsrep = await execa('sh', ['-c', query], { reject: false });
  const healthz = await (await fetch(`${service.url}/healthz`)).text();
  const status = parseVoteBackendStatus([{ stdout: '', stderr: '', code: 0 }, { stdout: healthz, stderr: '', code: 0 }, { stdout: wsrep.stdout, stderr: wsrep.stderr, code: wsrep.exitCode ?? -1 }],
    { now: Math.floor(Date.now() / 1000) });
  t.is(status.lines.at(-1), 'Galera: Primary, 2 nodes, this one Synced', wsrep.stderr);
  t.deepEqual(status.problems, []);
});
