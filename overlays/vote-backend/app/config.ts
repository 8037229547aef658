/**
 * The vote service's one JSON config file (default /etc/mcdebian/vote-backend/config.json,
 * written by the build from mcdebian.yaml), checked with zod, which bundles into the service
 * file. The database password may be given as `%d/NAME`: NAME in $CREDENTIALS_DIRECTORY
 * (systemd's LoadCredential=), the way the other services get their secrets.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError as ServiceConfigError } from '../../runtime/service-main.js';

export const DEFAULT_CONFIG_PATH = '/etc/mcdebian/vote-backend/config.json';

/** Poll and choice ids: what a page posts and the table stores (VARCHAR(64)). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const id = z.string().regex(ID_PATTERN, { message: 'must be 1 to 64 letters, digits, _ . or -, starting with a letter or digit' });
const port = z.int().min(1).max(65535);
const instant = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
const windowLimit = z.strictObject({ max: z.int().min(1), windowSeconds: z.int().min(1).max(86_400) });

const endpoint = z.union([
  z.strictObject({ socketPath: z.string().startsWith('/') }),
  z.strictObject({ host: z.string().min(1), port: port.default(3306) }),
]);

const pollSchema = z.strictObject({
  id,
  title: z.string().min(1).max(200),
  choices: z.array(z.strictObject({ id, label: z.string().min(1).max(200) })).min(1).max(1000),
  opensAt: instant.optional(),
  closesAt: instant.optional(),
});

export const configSchema = z.strictObject({
  listen: z.strictObject({
    address: z.string().refine((text) => isIP(text) !== 0, { message: 'must be an IP address such as 0.0.0.0' }).default('0.0.0.0'),
    port: port.default(8080),
    backlog: z.int().min(1).max(65535).default(4096),
  }).default({ address: '0.0.0.0', port: 8080, backlog: 4096 }),
  /** Worker processes; 0 is one per CPU. */
  workers: z.int().min(0).max(64).default(0),
  /** Recorded with each vote: which server took it. */
  serverId: z.string().min(1).max(64),
  journalDir: z.string().startsWith('/'),
  /** Votes held for the database (all workers together) before new ones get 503. */
  maxPendingVotes: z.int().min(1).default(2_000_000),
  compactAtBytes: z.int().min(4096).default(64 * 1024 * 1024),
  batch: z.strictObject({
    intervalMs: z.int().min(10).max(60_000).default(1000),
    maxVotes: z.int().min(1).max(100_000).default(10_000),
  }).default({ intervalMs: 1000, maxVotes: 10_000 }),
  database: z.strictObject({
    endpoints: z.array(endpoint).min(1),
    user: z.string().min(1).max(80),
    database: z.string().regex(/^[A-Za-z0-9_]{1,64}$/),
    passwordFile: z.string().min(1),
    tls: z.strictObject({ caFile: z.string().min(1).optional() }).nullable().default(null),
    connectTimeoutMs: z.int().min(100).max(60_000).default(3000),
  }),
  polls: z.array(pollSchema).min(1),
  corsOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, { message: 'must be an origin such as https://vote.example.com (scheme and host, no path)' })).default([]),
  limits: z.strictObject({
    perVoter: windowLimit.nullable().default(null),
    perAddress: windowLimit.nullable().default(null),
    maxBodyBytes: z.int().min(64).max(65_536).default(4096),
    idempotencyWindowSeconds: z.int().min(1).max(7 * 86_400).default(86_400),
  }).default({ perVoter: null, perAddress: null, maxBodyBytes: 4096, idempotencyWindowSeconds: 86_400 }),
  /** A header a load balancer in front sets to the client's address (its last entry is used). */
  clientAddressHeader: z.string().regex(/^[a-z0-9-]+$/).nullable().default(null),
  page: z.boolean().default(true),
  retryAfterSeconds: z.int().min(1).max(3600).default(5),
}).superRefine((config, context) => {
  const seen = new Set<string>();
  config.polls.forEach((poll, index) => {
    if (seen.has(poll.id)) context.addIssue({ code: 'custom', path: ['polls', index, 'id'], message: `"${poll.id}" is given twice` });
    seen.add(poll.id);
    const choices = new Set<string>();
    poll.choices.forEach((choice, at) => {
      if (choices.has(choice.id)) context.addIssue({ code: 'custom', path: ['polls', index, 'choices', at, 'id'], message: `"${choice.id}" is given twice` });
      choices.add(choice.id);
    });
    if (poll.opensAt !== undefined && poll.closesAt !== undefined && poll.closesAt <= poll.opensAt) {
      context.addIssue({ code: 'custom', path: ['polls', index, 'closesAt'], message: 'must be after opensAt' });
    }
  });
});

/** The checked config. */
export type VoteConfig = z.output<typeof configSchema>;
export type Poll = VoteConfig['polls'][number];
export type Endpoint = VoteConfig['database']['endpoints'][number];
export type WindowLimit = z.output<typeof windowLimit>;

/** A config the service cannot run with: the message names the file and the field. */
export class ConfigError extends ServiceConfigError {
  override readonly name = 'ConfigError';
}

/** A path as the config gives it: `%d/NAME` is NAME in systemd's credentials directory. */
export function resolveSecretPath(value: string, field: string, env: NodeJS.ProcessEnv): string {
  if (!value.startsWith('%d/')) return value;
  const directory = env.CREDENTIALS_DIRECTORY;
  if (!directory) throw new ConfigError(`${field} is ${value}, but $CREDENTIALS_DIRECTORY is not set: start the service with LoadCredential= or give a plain path`);
  return join(directory, value.slice(3));
}

/** The config from parsed JSON; `source` names it in errors. */
export function parseConfig(json: unknown, source: string, env: NodeJS.ProcessEnv = process.env): VoteConfig {
  const result = configSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
    throw new ConfigError(`${source}: ${issues.join('; ')}`);
  }
  const config = result.data;
  return { ...config, database: { ...config.database, passwordFile: resolveSecretPath(config.database.passwordFile, `${source}: database.passwordFile`, env) } };
}

/** Reads and checks the config file. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<VoteConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, path, env);
}
