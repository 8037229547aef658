/**
 * dns-blacklist benchmark, one run on loopback, figures printed (never asserted):
 *   npm run bench:dns
 * dnsperf (Debian's) against named with the rendered configuration: queries per second for
 * blocked names and for cached pass-through names, against the same named without the policy
 * zone; then the time from an add through the admin API (the bundled service) to the blocked
 * answer. Each dnsperf run: 4 clients, 15 s, no rate cap.
 */
import { execa, type ResultPromise } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeService } from '../../overlays/bundle.js';
import { hashPassword } from '../../overlays/dns-blacklist/app/password.js';
import type { NamedSettings } from '../../overlays/dns-blacklist/named.js';
import { freePort } from '../helpers/guest.js';
import { digA, startNamed, startUpstream, type RunningNamed } from '../overlays/dns-blacklist/helpers/named.js';

const BLOCKED = 10_000;
const PASS_THROUGH = 1000;
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 15);
const SINK = '192.168.1.1';

async function dnsperf(port: number, queries: string): Promise<number> {
  const { stdout } = await execa('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(SECONDS), '-c', '4', '-T', '2', '-q', '500']);
  const qps = /Queries per second:\s+([\d.]+)/.exec(stdout)?.[1];
  const lost = /Queries lost:\s+(\d+)/.exec(stdout)?.[1];
  if (!qps) throw new Error(`dnsperf printed no rate:\n${stdout}`);
  process.stderr.write(`bench: ${queries.split('/').at(-1)} on ${port}: ${qps} q/s, ${lost} lost\n`);
  return Number(qps);
}

async function resolver(dir: string, upstreamPort: number, withoutPolicy: boolean): Promise<{ named: RunningNamed; port: number }> {
  const port = await freePort();
  await mkdir(dir);
  const settings: NamedSettings = {
    listenOn: ['127.0.0.1'], port, allowed: ['127.0.0.1/32'], forwarders: [`127.0.0.1 port ${upstreamPort}`], dnssecValidation: 'no',
    rateLimit: { responsesPerSecond: 20, window: 5, slip: 2 }, policyTtl: 60,
  };
  const seed = Array.from({ length: BLOCKED }, (_, i) => `blocked${i}.test`);
  return { named: await startNamed({ dir, settings, seed, action: { kind: 'sink', address: SINK }, withoutPolicy }), port };
}

/** Seconds from PUT /domains/NAME to the first dig that answers the sink, for several names. */
async function addToAnswer(dir: string, dnsPort: number, sessionKey: string): Promise<number[]> {
  const apiPort = await freePort();
  await writeFile(join(dir, 'main.mjs'), await bundleNodeService({ entry: fileURLToPath(new URL('../../overlays/dns-blacklist/app/main.js', import.meta.url)), path: '/main.mjs' }));
  await writeFile(join(dir, 'hash'), `${await hashPassword('bench password')}\n`);
  await writeFile(join(dir, 'admin.json'), JSON.stringify({
    zone: 'rpz.mcdebian', server: { address: '127.0.0.1', port: dnsPort }, tsigKeyFile: sessionKey, action: { kind: 'sink', address: SINK }, ttl: 60,
    api: { listen: '127.0.0.1', port: apiPort, user: 'admin', passwordHashFile: join(dir, 'hash'), tls: null }, blockedPage: null,
  }));
  const service: ResultPromise = execa(process.execPath, [join(dir, 'main.mjs'), 'serve', '--config', join(dir, 'admin.json')], { reject: false, stdin: 'ignore' });
  try {
    while (!(await fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => r.ok, () => false))) await new Promise((resolve) => setTimeout(resolve, 50));
    const authorization = `Basic ${Buffer.from('admin:bench password').toString('base64')}`;
    const seconds: number[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `late${i}.example`;
      const started = process.hrtime.bigint();
      const response = await fetch(`http://127.0.0.1:${apiPort}/domains/${name}`, { method: 'PUT', headers: { authorization } });
      if (!response.ok) throw new Error(`PUT answered ${response.status}`);
      while (!(await digA(dnsPort, name)).answers.includes(SINK)) { /* poll */ }
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
    return seconds;
  } finally {
    service.kill('SIGTERM');
    await service;
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-dns-'));
  const running: RunningNamed[] = [];
  try {
    const upstreamPort = await freePort();
    const records = Array.from({ length: PASS_THROUGH }, (_, i) => `host${i} IN A 203.0.113.${i % 250}\n`).join('');
    running.push(await startUpstream(join(dir, 'upstream'), upstreamPort, records));
    await writeFile(join(dir, 'blocked.txt'), Array.from({ length: BLOCKED }, (_, i) => `www.blocked${i}.test A\n`).join(''));
    await writeFile(join(dir, 'cached.txt'), Array.from({ length: PASS_THROUGH }, (_, i) => `host${i}.example A\n`).join(''));
    const withPolicy = await resolver(join(dir, 'rpz'), upstreamPort, false);
    const without = await resolver(join(dir, 'plain'), upstreamPort, true);
    running.push(withPolicy.named, without.named);
    for (const { port } of [withPolicy, without]) await execa('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', join(dir, 'cached.txt'), '-n', '1']); // warm the caches
    const figures = {
      blocked: await dnsperf(withPolicy.port, join(dir, 'blocked.txt')),
      cachedWithPolicy: await dnsperf(withPolicy.port, join(dir, 'cached.txt')),
      cachedWithout: await dnsperf(without.port, join(dir, 'cached.txt')),
    };
    const latency = (await addToAnswer(join(dir, 'rpz'), withPolicy.port, withPolicy.named.paths.sessionKeyFile)).sort((a, b) => a - b);
    const ms = (s: number | undefined) => `${((s ?? NaN) * 1000).toFixed(0)} ms`;
    console.log(`dns-blacklist on loopback: named ${(await execa('named', ['-v'])).stdout}, ${BLOCKED} blocked domains, dnsperf -c 4 for ${SECONDS} s each`);
    console.log(`  blocked names, with the policy zone:          ${figures.blocked.toFixed(0)} q/s`);
    console.log(`  cached pass-through names, with the zone:     ${figures.cachedWithPolicy.toFixed(0)} q/s`);
    console.log(`  cached pass-through names, without the zone:  ${figures.cachedWithout.toFixed(0)} q/s`);
    console.log(`  API add to blocked answer (20 adds): median ${ms(latency[10])}, max ${ms(latency.at(-1))}`);
  } finally {
    for (const named of running) await named.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
