/**
 * `vote-backend`: high-load vote ingestion that loses nothing (x86-64): a Node service takes
 * votes into an fsync'd journal before it answers 202 and writes them to MariaDB in batches,
 * idempotent on the vote id; the database is Debian's MariaDB on the same image, a remote one
 * over verified TLS, or a Galera cluster this image is a node of. Facts:
 * overlays/vote-backend/README.md, "Facts this overlay relies on"; the service is in app/.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineOverlay, type FileReference, type FilesContext, type OverlayIssue, type ReadFile } from '../overlay.js';
import { configSchema } from './app/config.js';
import { renderServiceConfig, renderVoteBackend } from './render.js';
import { voteBackendSchema, type VoteBackendConfig } from './schema.js';
import { voteBackendStatus } from './status.js';
import { APP_PATH } from './units.js';

/** The service's entry module, compiled, beside this file. */
const APP_ENTRY = fileURLToPath(new URL('./app/main.js', import.meta.url));

/**
 * Where the embedded database's generated password lives: beside mcdebian.yaml, under the config
 * file's own name, so that no field of the config moves it (a changed hostname or database name
 * keeps the password the image's MariaDB already has) and each config of a fleet has its own.
 */
export const generatedPasswordPath = (configName: string) => join('secrets', configName, 'vote-backend-database-password');

/** 24 random bytes as hex: no character the setup script or SQL must escape. */
export async function generatePassword(file: string): Promise<string[]> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await chmod(dirname(file), 0o700);
  await writeFile(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return [];
}

function files(config: VoteBackendConfig, context: FilesContext): FileReference[] {
  const { database } = config;
  if (database.kind === 'embedded') {
    return [{
      field: ['database', 'passwordFile'], path: generatedPasswordPath(context.configName), secret: true, generate: generatePassword,
      keepBecause: 'the images built from this config log in to their MariaDB with it',
    }];
  }
  const references: FileReference[] = [{ field: ['database', 'passwordFile'], path: database.passwordFile, secret: true }];
  if (database.kind === 'remote' && database.caFile) references.push({ field: ['database', 'caFile'], path: database.caFile, secret: false });
  return references;
}

/**
 * The service strips one line end from the password file, the setup script's shell all of them:
 * one line, so that both read the same password.
 */
function passwordIssues(read: readonly ReadFile[]): OverlayIssue[] {
  const password = read.find((entry) => entry.field.join('.') === 'database.passwordFile');
  if (password?.content === undefined) return [];
  const line = password.content.replace(/\n$/, '');
  if (line === '') return [{ field: password.field, message: `${password.path} is empty: write the password on its one line` }];
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(line)) return [{ field: password.field, message: `${password.path} must hold the password on one line, without control characters or a Windows line end` }];
  return [];
}

function galeraIssues(config: VoteBackendConfig): OverlayIssue[] {
  const { database } = config;
  if (database.kind !== 'galera') return [];
  const issues: OverlayIssue[] = [];
  const names = database.nodes.map((node) => node.name);
  if (!names.includes(database.node)) issues.push({ field: ['database', 'node'], message: `is "${database.node}", which is not one of nodes (${names.join(', ')}): name this image's node` });
  const taken = new Map<string, string>();
  database.nodes.forEach((node, index) => {
    if (names.indexOf(node.name) !== index) issues.push({ field: ['database', 'nodes', index, 'name'], message: `"${node.name}" is given twice` });
    for (const key of ['port', 'groupPort', 'istPort', 'sstPort'] as const) {
      const where = `${node.address}:${node[key]}`;
      const owner = taken.get(where);
      if (owner) issues.push({ field: ['database', 'nodes', index, key], message: `${where} is already ${owner}: give each port of nodes on one address its own number` });
      else taken.set(where, `node ${node.name}'s ${key}`);
    }
  });
  return issues;
}

/** Debian's MariaDB listens on 127.0.0.1:3306 (its 50-server.cnf); a Galera node on its own address and ports. */
function localDatabasePorts(config: VoteBackendConfig): { address: string; port: number; what: string }[] {
  const { database } = config;
  if (database.kind === 'embedded') return [{ address: '127.0.0.1', port: 3306, what: 'the embedded MariaDB\'s port' }];
  if (database.kind === 'remote') return [];
  const node = database.nodes.find((entry) => entry.name === database.node);
  if (!node) return [];
  return (['port', 'groupPort', 'istPort', 'sstPort'] as const).map((key) => ({ address: node.address, port: node[key], what: `node ${node.name}'s ${key}` }));
}

/** The service cannot listen where this image's MariaDB or Galera already does: it would fail with EADDRINUSE at every start. */
function listenIssues(config: VoteBackendConfig): OverlayIssue[] {
  const { address, port } = config.listen;
  const wildcard = address === '0.0.0.0' || address === '::';
  return localDatabasePorts(config)
    .filter((taken) => taken.port === port && (wildcard || taken.address === address))
    .map((taken) => ({ field: ['listen', 'port'], message: `${port} is ${taken.what} on ${taken.address}: give the vote service another port` }));
}

/** Fields the service's config takes over from mcdebian.yaml as they are: its issues point back at them. */
const SHARED_FIELDS = new Set(['listen', 'workers', 'maxPendingVotes', 'batch', 'polls', 'corsOrigins', 'limits', 'clientAddressHeader', 'page', 'retryAfterSeconds']);

/**
 * What the service itself would refuse in the config the build writes for it (a poll or choice id
 * given twice, a poll that closes before it opens): found now, at the field, rather than by the
 * check in the image after the build has spent its time. The service's own schema decides, so
 * the two cannot disagree.
 */
function serviceIssues(config: VoteBackendConfig): OverlayIssue[] {
  const rendered: unknown = JSON.parse(renderServiceConfig(config, { hostname: 'mcdebian' }));
  const result = configSchema.safeParse(rendered);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const [top] = issue.path;
    const field = typeof top === 'string' && SHARED_FIELDS.has(top) ? issue.path.filter((part) => typeof part !== 'symbol') : [];
    return { field, message: field.length > 0 ? issue.message : `the service refuses its config at ${issue.path.join('.')}: ${issue.message}` };
  });
}

function validate(config: VoteBackendConfig, read: readonly ReadFile[]): OverlayIssue[] {
  const galera = galeraIssues(config);
  // the service's config names this node's peers: it cannot be rendered before the node is one of nodes
  return [...passwordIssues(read), ...galera, ...listenIssues(config), ...(galera.length > 0 ? [] : serviceIssues(config))];
}

export const voteBackend = defineOverlay<VoteBackendConfig>({
  name: 'vote-backend',
  summary: 'durable high-load vote ingestion into MariaDB (embedded, remote over TLS, or a Galera node), nothing lost on a crash',
  architectures: ['amd64'],
  schema: voteBackendSchema,
  packages: (config) => {
    if (config.database.kind === 'embedded') return ['mariadb-server'];
    if (config.database.kind === 'galera') return ['mariadb-server', 'galera-4', 'rsync'];
    return ['ca-certificates'];
  },
  nodeServices: [{ entry: APP_ENTRY, path: APP_PATH }],
  files,
  validate,
  render: renderVoteBackend,
  status: voteBackendStatus,
});
