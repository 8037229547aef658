/**
 * The service's one JSON config file (default /etc/mcdebian/dns-blacklist/admin.json), checked
 * with zod (already a dependency; it bundles into the service file). Secret files may be given
 * as `%d/NAME`, which is read from $CREDENTIALS_DIRECTORY (systemd's LoadCredential=, the way
 * the callhome unit hands over its key); any other value is a path read as given.
 */
import { ConfigError as ServiceConfigError } from '../../runtime/service-main.js';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { findBasicUserProblem } from './auth.js';
import type { ZoneSettings } from './zone.js';

export const DEFAULT_CONFIG_PATH = '/etc/mcdebian/dns-blacklist/admin.json';

const port = z.int().min(1).max(65535);
const address = z.string().refine((text) => isIP(text) !== 0, { message: 'must be an IP address such as 192.168.1.1' });
const file = z.string().min(1, { message: 'must name a file' });
const zoneName = z.string()
  .transform((text) => text.trim().toLowerCase().replace(/\.$/, ''))
  .refine((name) => name.length <= 200 && name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)), {
    message: 'must be a zone name such as rpz.mcdebian',
  });

export const configSchema = z.strictObject({
  zone: zoneName.default('rpz.mcdebian'),
  server: z.strictObject({ address, port: port.default(53) }).default({ address: '127.0.0.1', port: 53 }),
  tsigKeyFile: file,
  action: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('sink'), address }),
    z.strictObject({ kind: z.literal('nxdomain') }),
  ]),
  ttl: z.int().min(0).max(86_400).default(60),
  api: z.strictObject({
    listen: address,
    port: port.default(8053),
    user: z.string().min(1).refine((user) => findBasicUserProblem(user) === undefined, { error: (issue) => findBasicUserProblem(String(issue.input)) })
      .nullable().default(null),
    passwordHashFile: file,
    tls: z.strictObject({ certFile: file, keyFile: file }).nullable().default(null),
  }),
  blockedPage: z.strictObject({ listen: address, port: port.default(80) }).nullable().default(null),
});

/** The checked config, with secret paths resolved. */
export type ServiceConfig = z.output<typeof configSchema>;

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
export function parseConfig(json: unknown, source: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const result = configSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
    throw new ConfigError(`${source}: ${issues.join('; ')}`);
  }
  const config = result.data;
  const secret = (value: string, field: string) => resolveSecretPath(value, `${source}: ${field}`, env);
  return {
    ...config,
    tsigKeyFile: secret(config.tsigKeyFile, 'tsigKeyFile'),
    api: {
      ...config.api,
      passwordHashFile: secret(config.api.passwordHashFile, 'api.passwordHashFile'),
      tls: config.api.tls && { certFile: secret(config.api.tls.certFile, 'api.tls.certFile'), keyFile: secret(config.api.tls.keyFile, 'api.tls.keyFile') },
    },
  };
}

/** Reads and checks the config file. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceConfig> {
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

/** What the updater needs of the config. */
export const zoneSettingsOf = (config: ServiceConfig): ZoneSettings => ({ zone: config.zone, server: config.server, ttl: config.ttl, action: config.action });
