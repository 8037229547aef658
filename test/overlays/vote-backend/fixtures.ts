/** Configs and read files the vote-backend unit tests share. */
import { getBoard } from '../../../board/index.js';
import type { ReadFile } from '../../../overlays/overlay.js';
import { voteBackendSchema, type VoteBackendConfig } from '../../../overlays/vote-backend/schema.js';

export const server = { board: getBoard('x86-64'), hostname: 'vote1', lanAddress: '192.168.1.1/24' };

export const POLL = { id: 'final', title: 'Best song', choices: [{ id: 'a', label: 'Song A' }, { id: 'b', label: 'Song B' }] };

/** Three Galera nodes on their own addresses, with the default ports. */
export const GALERA_NODES = [
  { name: 'db1', address: '10.0.0.11' },
  { name: 'db2', address: '10.0.0.12' },
  { name: 'db3', address: '10.0.0.13' },
];

export const parse = (value: Record<string, unknown> = {}): VoteBackendConfig => voteBackendSchema.parse({ polls: [POLL], ...value });

export const galera = (fields: Record<string, unknown> = {}) => ({ kind: 'galera', clusterName: 'votes', node: 'db1', nodes: GALERA_NODES, passwordFile: 'secrets/db', ...fields });
export const remote = (fields: Record<string, unknown> = {}) => ({ kind: 'remote', endpoints: ['db.example.com', 'standby.example.com:3307'], user: 'vote', database: 'votes', passwordFile: 'secrets/db', ...fields });

/** The database password as the loader hands it to render (the file the config names, or the generated one). */
export function passwordFile(content = 's3cret\n', path = 'secrets/db'): ReadFile {
  return { field: ['database', 'passwordFile'], path, file: `/cfg/${path}`, content, secret: true, generated: false };
}

export function caFile(content = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'): ReadFile {
  return { field: ['database', 'caFile'], path: 'rds-ca.pem', file: '/cfg/rds-ca.pem', content, secret: false, generated: false };
}
