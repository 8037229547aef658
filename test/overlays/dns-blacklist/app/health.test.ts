/**
 * The service's `health` mode (app/health.ts) against the real servers of `serve`: the API's
 * /health over HTTP and over HTTPS with the service's own certificate pinned, and the zone's
 * size from the updater; a failure of either is in the answer.
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig, type ServiceConfig } from '../../../../overlays/dns-blacklist/app/config.js';
import { checkHealth } from '../../../../overlays/dns-blacklist/app/health.js';
import { hashPassword } from '../../../../overlays/dns-blacklist/app/password.js';
import { startService } from '../../../../overlays/dns-blacklist/app/serve.js';
import { UpdateError } from '../../../../overlays/dns-blacklist/app/updater.js';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { testWithTools } from '../../../helpers/tools.js';
import { SlowMemoryUpdater } from './fakes.js';

async function configIn(t: ExecutionContext, api: Record<string, unknown> = {}): Promise<ServiceConfig> {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'admin.hash'), `${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`);
  const parsed = parseConfig({
    tsigKeyFile: join(dir, 'rpz.key'),
    action: { kind: 'sink', address: '192.168.1.1' },
    api: { listen: '0.0.0.0', passwordHashFile: join(dir, 'admin.hash'), ...api },
  }, 'admin.json', {});
  return { ...parsed, api: { ...parsed.api, port: 0 } };
}

/** Starts `serve` and gives the config with the port it got, as the device's admin.json has it. */
async function serve(t: ExecutionContext, config: ServiceConfig, updater: SlowMemoryUpdater): Promise<ServiceConfig> {
  const service = await startService(config, createMemoryLog(), updater);
  t.teardown(() => service.close());
  return { ...config, api: { ...config.api, port: service.api.port } };
}

test('health says the API answers on loopback when it listens on all addresses, and counts the zone\'s domains', async (t) => {
  const updater = new SlowMemoryUpdater();
  updater.domains = new Set(['a.example', 'b.example', 'c.example']);
  const config = await serve(t, await configIn(t), updater);
  t.deepEqual(await checkHealth(config, updater, { timeoutMs: 10_000 }), {
    api: { url: `http://127.0.0.1:${config.api.port}/health`, answering: true, status: 200 },
    zone: { name: 'rpz.mcdebian', domains: 3 },
  });
});

test('health reports an API that does not answer and a zone that cannot be read, without throwing', async (t) => {
  const config = await configIn(t);
  const updater = new SlowMemoryUpdater();
  updater.list = () => Promise.reject(new UpdateError('dig: the zone transfer of rpz.mcdebian returned no SOA record: ; Transfer failed.'));
  const health = await checkHealth({ ...config, api: { ...config.api, listen: '127.0.0.1', port: 9 } }, updater, { timeoutMs: 10_000 });
  t.like(health, { api: { url: 'http://127.0.0.1:9/health', answering: false }, zone: { name: 'rpz.mcdebian', error: 'dig: the zone transfer of rpz.mcdebian returned no SOA record: ; Transfer failed.' } });
  t.regex(health.api.error ?? '', /ECONNREFUSED/);
});

testWithTools({ openssl: 'openssl' }, 'health reaches an HTTPS API through the service\'s own certificate, made for another name', async (t) => {
  const dir = await makeTempDir(t);
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=router.lan',
    '-keyout', join(dir, 'api.key'), '-out', join(dir, 'api.pem')]);
  const updater = new SlowMemoryUpdater();
  const config = await serve(t, await configIn(t, { listen: '127.0.0.1', tls: { certFile: join(dir, 'api.pem'), keyFile: join(dir, 'api.key') } }), updater);
  t.like(await checkHealth(config, updater, { timeoutMs: 10_000 }), { api: { url: `https://127.0.0.1:${config.api.port}/health`, answering: true, status: 200 }, zone: { domains: 0 } });
});
