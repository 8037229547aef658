/** The two listeners of `serve`, HTTP or HTTPS by config, and their stop. */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseConfig, type ServiceConfig } from '../../../../overlays/dns-blacklist/app/config.js';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { hashPassword } from '../../../../overlays/dns-blacklist/app/password.js';
import { startService } from '../../../../overlays/dns-blacklist/app/serve.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { testWithTools } from '../../../helpers/tools.js';
import { basic, SlowMemoryUpdater } from './fakes.js';

async function configIn(t: ExecutionContext, extra: Record<string, unknown> = {}): Promise<{ config: ServiceConfig; dir: string }> {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'admin.hash'), `${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`);
  const parsed = parseConfig({
    tsigKeyFile: join(dir, 'rpz.key'),
    action: { kind: 'sink', address: '192.168.1.1' },
    api: { listen: '127.0.0.1', passwordHashFile: join(dir, 'admin.hash'), ...extra },
    blockedPage: { listen: '127.0.0.1' },
  }, 'admin.json', {});
  // port 0: the system picks free ports (the schema asks for real ones)
  return { dir, config: { ...parsed, api: { ...parsed.api, port: 0 }, blockedPage: { listen: '127.0.0.1', port: 0 } } };
}

test('serve answers the API and the blocked page on their own ports, and stops', async (t) => {
  const { config } = await configIn(t);
  const log = createMemoryLog();
  const updater = new SlowMemoryUpdater();
  const service = await startService(config, log, updater);
  const api = `http://127.0.0.1:${service.api.port}`;
  const put = await fetch(`${api}/domains/ads.example`, { method: 'PUT', headers: { Authorization: basic('anyone', 'pw') } });
  t.is(put.status, 200, 'any user name when the config names none');
  const page = await fetch(`http://127.0.0.1:${service.blockedPage!.port}/`);
  t.is(page.status, 403);
  t.regex(await page.text(), /127\.0\.0\.1 is blocked/);
  t.regex(log.lines[0]!, /^info: api: listening on http:\/\/127\.0\.0\.1:\d+ for zone rpz\.mcdebian \(sink\)$/);
  await service.close();
  await t.throwsAsync(fetch(`${api}/health`));
  t.deepEqual([...updater.domains], ['ads.example']);
});

test('serve refuses a password file that holds no hash', async (t) => {
  const { config, dir } = await configIn(t);
  await writeFile(join(dir, 'admin.hash'), 'hunter2\n');
  await t.throwsAsync(startService(config, createMemoryLog(), new SlowMemoryUpdater()), { name: 'ConfigError', message: /admin\.hash is not a password hash; make one with: main\.mjs hash-password/ });
});

testWithTools({ openssl: 'openssl' }, 'with a certificate and key in the config the API speaks HTTPS', async (t) => {
  const dir = await makeTempDir(t);
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=router.lan',
    '-keyout', join(dir, 'api.key'), '-out', join(dir, 'api.pem')]);
  const { config } = await configIn(t, { tls: { certFile: join(dir, 'api.pem'), keyFile: join(dir, 'api.key') } });
  const service = await startService({ ...config, blockedPage: null }, createMemoryLog(), new SlowMemoryUpdater());
  t.teardown(() => service.close());
  t.is(service.blockedPage, undefined);
  const ask = (options: { method?: string; path: string; headers?: Record<string, string> }) => new Promise<{ status: number; subject: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: service.api.port, rejectUnauthorized: false, ...options }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, subject: (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN as string });
    });
    req.on('error', reject);
    req.end();
  });
  t.deepEqual(await ask({ path: '/health' }), { status: 200, subject: 'router.lan' });
  // a browser's Origin for the API over TLS is https://: the plain-http origin is another one
  const put = (origin: string) => ask({ method: 'PUT', path: '/domains/a.example', headers: { Authorization: basic('admin', 'pw'), Origin: origin } });
  t.is((await put(`https://127.0.0.1:${service.api.port}`)).status, 200);
  t.is((await put(`http://127.0.0.1:${service.api.port}`)).status, 403);
});
