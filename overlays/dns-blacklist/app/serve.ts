/**
 * `serve`: the admin API (HTTPS when the config names a certificate and key, else HTTP) and the
 * blocked page (plain HTTP, optional) as two listeners of one process, and their orderly stop:
 * no new connections, queued changes finished, then close.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApiHandler } from './api.js';
import { createAuthenticator } from './auth.js';
import { blockedPageHandler } from './blocked-page.js';
import { Blocklist } from './blocklist.js';
import { BoundedQueue } from './bounded-queue.js';
import { ConfigError, zoneSettingsOf, type ServiceConfig } from './config.js';
import type { Log } from '../../runtime/service-log.js';
import { isPasswordHash } from './password.js';
import { FailureLimiter } from '../../runtime/failure-limiter.js';
import { closeServer, listen } from '../../runtime/http.js';
import { createDnsUpdater, type Updater } from './updater.js';

/** The running servers. */
export interface RunningService {
  api: AddressInfo;
  blockedPage: AddressInfo | undefined;
  /** Stops accepting, lets queued changes finish, closes. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A secret file's content, or a ConfigError naming it. */
async function readSecret(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

/** Listens with short request deadlines: a slow client may not hold a connection open forever on a small router. */
function listenBriefly(server: Server, host: string, port: number): Promise<AddressInfo> {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return listen(server, port, host);
}

/** The admin API's server, TLS or not. */
async function createApiServer(config: ServiceConfig, handler: Handler): Promise<Server> {
  const tls = config.api.tls;
  if (!tls) return createHttpServer(handler);
  const [cert, key] = await Promise.all([readSecret(tls.certFile, 'TLS certificate'), readSecret(tls.keyFile, 'TLS key')]);
  return createHttpsServer({ cert, key }, handler);
}

/** The blocked page's server, when the config asks for one; closes `api` if it cannot listen. */
async function startBlockedPage(config: ServiceConfig, api: Server): Promise<{ server: Server; address: AddressInfo } | undefined> {
  if (!config.blockedPage) return undefined;
  const server = createHttpServer(blockedPageHandler);
  try {
    return { server, address: await listenBriefly(server, config.blockedPage.listen, config.blockedPage.port) };
  } catch (error) {
    await closeServer(api);
    throw error;
  }
}

/** The updater of the configured zone: nsupdate and dig with the TSIG key. */
const dnsUpdaterOf = (config: ServiceConfig) => createDnsUpdater({ settings: zoneSettingsOf(config), keyFile: config.tsigKeyFile });

/** Starts the servers the config asks for; `updater` replaces nsupdate/dig in tests. */
export async function startService(config: ServiceConfig, log: Log, updater: Updater = dnsUpdaterOf(config)): Promise<RunningService> {
  const passwordHash = (await readSecret(config.api.passwordHashFile, 'password hash file')).trim();
  if (!isPasswordHash(passwordHash)) throw new ConfigError(`${config.api.passwordHashFile} is not a password hash; make one with: main.mjs hash-password`);
  const blocklist = new Blocklist(updater);
  const limiter = new FailureLimiter({ maxFailures: 5, windowMs: 60_000 });
  // one scrypt at a time (32 MiB each on a 512 MiB router) and four waiting: a correct password
  // that is not remembered yet waits for at most five, and the sixth login is turned away (503)
  const hashing = new BoundedQueue({ concurrency: 1, maxWaiting: 4 });
  const authenticate = createAuthenticator({ user: config.api.user ?? undefined, passwordHash, limiter, hashing });
  const apiServer = await createApiServer(config, createApiHandler({ blocklist, authenticate, zone: config.zone, log }));
  const api = await listenBriefly(apiServer, config.api.listen, config.api.port);
  log.info(`api: listening on ${config.api.tls ? 'https' : 'http'}://${api.address}:${api.port} for zone ${config.zone} (${config.action.kind})`);
  const page = await startBlockedPage(config, apiServer);
  if (page) log.info(`blocked page: listening on http://${page.address.address}:${page.address.port}`);
  return {
    api,
    blockedPage: page?.address,
    async close() {
      await Promise.all([closeServer(apiServer), page && closeServer(page.server)]);
      await blocklist.idle();
    },
  };
}
