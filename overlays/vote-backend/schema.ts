/**
 * vote-backend's section of mcdebian.yaml: the polls, where the service listens, its workers,
 * batches and limits, the page origins it answers CORS for, the trial page, and the database in
 * one of three shapes: embedded (MariaDB on the same image, the default), remote (any MariaDB or
 * MySQL over verified TLS) or galera (the image is one node of a Galera cluster).
 */
import { z } from 'zod';
import { fileReference, hostOrAddress, ipv4, port } from '../../build/core/fields.js';
import { ID_PATTERN } from './app/config.js';

const id = (what: string) => z.string().regex(ID_PATTERN, { message: 'must be 1 to 64 letters, digits, _ . or -, starting with a letter or digit' }).describe(what);
const instant = (what: string) => z.iso.datetime({ offset: true, message: 'must be a quoted date and time with its offset, such as "2026-05-01T20:00:00Z"' }).optional().describe(what);
/** Goes into SQL and shell unquoted-safe: letters, digits and _ only. */
const sqlName = (what: string) => z.string().regex(/^[A-Za-z0-9_]{1,64}$/, { message: 'must be 1 to 64 letters, digits or _' }).describe(what);
/**
 * The setup script grants the service's user ALL on its database and sets the user's password:
 * on MariaDB's own accounts (root and mysql log in by unix_socket; mariadb-install-db makes them)
 * that would take the socket login away, and ALL on the system schemas is every privilege.
 */
const RESERVED_USERS = ['root', 'mysql'];
const RESERVED_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];
const localUser = (what: string) => sqlName(what)
  .refine((name) => !RESERVED_USERS.includes(name), { message: `must not be one of MariaDB's own accounts (${RESERVED_USERS.join(', ')}): name the service's own user, such as vote` })
  .describe(what);
const localDatabase = (what: string) => sqlName(what)
  .refine((name) => !RESERVED_DATABASES.includes(name.toLowerCase()), { message: `must not be a system schema (${RESERVED_DATABASES.join(', ')}): name the votes' own database, such as votes` })
  .describe(what);
const windowLimit = (what: string) => z.strictObject({
  max: z.int().min(1).describe('votes allowed in the window'),
  windowSeconds: z.int().min(1).max(86_400).describe('the window, in seconds'),
}).optional().describe(what);

/** `host` or `host:port` (3306 when none): a remote MariaDB or MySQL. */
export const HOST_PORT = /^([^:\s]+)(?::(\d{1,5}))?$/;
const endpoint = z.string().refine((text) => {
  const match = HOST_PORT.exec(text);
  return match !== null && hostOrAddress.safeParse(match[1]).success && (match[2] === undefined || (Number(match[2]) >= 1 && Number(match[2]) <= 65535));
}, { message: 'must be host or host:port, such as db1.example.com:3306' });

const poll = z.strictObject({
  id: id('the poll\'s id, as the page posts it'),
  title: z.string().min(1).max(200).describe('what the trial page shows'),
  choices: z.array(z.strictObject({ id: id('the choice\'s id, as the page posts it'), label: z.string().min(1).max(200).describe('what the trial page shows') }))
    .min(1).max(1000).describe('the choices'),
  opensAt: instant('votes before this are refused ("poll not open"); default: open now'),
  closesAt: instant('votes from this on are refused ("poll closed"); default: never'),
});

const embedded = z.strictObject({
  kind: z.literal('embedded').describe('Debian\'s MariaDB on this image; its password is generated at build'),
  database: localDatabase('the database').default('votes'),
  user: localUser('the service\'s MariaDB user').default('vote'),
});

const remote = z.strictObject({
  kind: z.literal('remote').describe('a MariaDB or MySQL elsewhere (RDS, say), over TLS with its certificate verified'),
  endpoints: z.array(endpoint).min(1).describe('host:port of each server, tried in order (a primary, then its standby)'),
  user: sqlName('the service\'s user there'),
  database: sqlName('the database'),
  passwordFile: fileReference('secret file with the user\'s password (one line)'),
  caFile: fileReference('file with the CA certificates (PEM) the server\'s certificate is checked against; default: the system\'s CAs').optional(),
});

const galeraNode = z.strictObject({
  name: sqlName('the node\'s name (wsrep_node_name)'),
  address: ipv4.describe('its address on the cluster\'s network (wsrep_node_address)'),
  port: port('its MariaDB port').default(3306),
  groupPort: port('Galera\'s group communication port (gmcast.listen_addr)').default(4567),
  istPort: port('Galera\'s incremental state transfer port (ist.recv_addr)').default(4568),
  sstPort: port('the full state transfer port (wsrep_sst_receive_address)').default(4444),
});

const galera = z.strictObject({
  kind: z.literal('galera').describe('this image is one node of a MariaDB Galera cluster (Debian\'s galera-4)'),
  clusterName: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, _ . or -' }).describe('wsrep_cluster_name: the same on every node'),
  node: sqlName('which of nodes this image is'),
  nodes: z.array(galeraNode).min(3, { message: 'needs at least three nodes: of two, the one left after a failure has no quorum and stops taking writes' })
    .describe('every node of the cluster, the same list on each'),
  sstMethod: z.enum(['rsync']).default('rsync').describe('how a joining node gets a full copy (wsrep_sst_method)'),
  user: localUser('the service\'s MariaDB user, the same on every node').default('vote'),
  database: localDatabase('the database').default('votes'),
  passwordFile: fileReference('secret file with the user\'s password (one line), the same file for every node'),
});

export const voteBackendSchema = z.strictObject({
  polls: z.array(poll).min(1).describe('the polls votes are taken for'),
  listen: z.strictObject({
    address: z.union([ipv4, z.literal('::')]).default('0.0.0.0').describe('the address the service listens on'),
    port: port('its HTTP port').default(8080),
    backlog: z.int().min(128).max(65_535).default(4096).describe('listen(2) backlog; the image raises net.core.somaxconn and tcp_max_syn_backlog to it'),
  }).default({ address: '0.0.0.0', port: 8080, backlog: 4096 }).describe('where votes come in'),
  workers: z.int().min(0).max(64).default(0).describe('worker processes; 0: one per CPU'),
  openFiles: z.int().min(1024).max(1_048_576).default(65_536).describe('LimitNOFILE of the service: at least one per open connection'),
  batch: z.strictObject({
    intervalMs: z.int().min(10).max(60_000).default(1000).describe('longest wait before pending votes are written'),
    maxVotes: z.int().min(1).max(100_000).default(10_000).describe('most votes in one insert'),
  }).default({ intervalMs: 1000, maxVotes: 10_000 }).describe('how votes go into the database'),
  maxPendingVotes: z.int().min(1).default(2_000_000).describe('votes the journals hold for the database before new ones get 503 with Retry-After'),
  retryAfterSeconds: z.int().min(1).max(3600).default(5).describe('Retry-After of those 503 answers'),
  limits: z.strictObject({
    perVoter: windowLimit('most votes per voter id in a window; none: no limit'),
    perAddress: windowLimit('most votes per client address in a window; none: no limit'),
    maxBodyBytes: z.int().min(64).max(65_536).default(4096).describe('largest request body'),
    idempotencyWindowSeconds: z.int().min(1).max(7 * 86_400).default(86_400).describe('how long an Idempotency-Key is remembered'),
  }).default({ maxBodyBytes: 4096, idempotencyWindowSeconds: 86_400 }).describe('what one voter or address may do'),
  clientAddressHeader: z.string().regex(/^[a-z0-9-]+$/, { message: 'must be a lower-case header name such as x-forwarded-for' }).optional()
    .describe('a header a load balancer in front sets to the client\'s address (its last entry counts); none: the TCP peer'),
  corsOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, { message: 'must be an origin such as https://vote.example.com (scheme and host, no path)' }))
    .default([]).describe('origins of the pages that may post votes (CORS)'),
  page: z.boolean().default(true).describe('serve the minimal trial voting page at /'),
  database: z.discriminatedUnion('kind', [embedded, remote, galera]).default({ kind: 'embedded', database: 'votes', user: 'vote' })
    .describe('where votes go: embedded (default), remote or galera'),
});

export type VoteBackendConfig = z.output<typeof voteBackendSchema>;
export type DatabaseConfig = VoteBackendConfig['database'];
export type GaleraConfig = Extract<DatabaseConfig, { kind: 'galera' }>;
export type GaleraNode = GaleraConfig['nodes'][number];
