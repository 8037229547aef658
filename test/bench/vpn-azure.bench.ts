/**
 * vpn-azure tunnel benchmark, one run, figures printed (never asserted):
 *   npm run bench:vpn   (as root: network namespaces and charon's TUN device)
 * The overlay's rendered configuration (custom GCMAES256/SHA384/ECP384 policy, route-based) in a
 * charon in one network namespace, against a strongSwan "Azure" with Azure's offers in another:
 * - start: from charon's start (the rendered configuration loaded, start_action = start) to the
 *   first ping answered through the tunnel;
 * - recovery: the Azure peer killed (SIGKILL, no DELETE) and started again at once, to the next
 *   ping answered, with the default 45 s DPD timeout and with 9 s;
 * - throughput: iperf3 TCP for 10 s between the private subnets through the tunnel, and between
 *   the same namespaces' public addresses without IPsec.
 * The ESP here is strongSwan's kernel-libipsec: user-space ESP over a TUN device (this host's
 * kernel may have no ESP), so the tunnel's throughput is a lower bound of what the kernel's ESP on
 * a device gives.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azureOffer } from '../../overlays/vpn-azure/presets.js';
import { startAzurePeer } from '../overlays/vpn-azure/helpers/azure-peer.js';
import { killCharon } from '../overlays/vpn-azure/helpers/charon.js';
import { siteConfig, startDevice } from '../overlays/vpn-azure/helpers/device.js';
import { makeSites, spawnIn, type Sites, type Teardown } from '../overlays/vpn-azure/helpers/netns.js';
import { startPing } from '../overlays/vpn-azure/helpers/ping.js';
import { waitFor } from '../overlays/vpn-azure/helpers/wait.js';
import { ECP384_POLICY, parse } from '../overlays/vpn-azure/fixtures.js';

const PSK = 'vpn-azure-bench-shared-key-0123456789';
const IPERF_SECONDS = 10;

/** The helpers register their cleanup here, as they would with ava's t.teardown; run in reverse. */
function cleanupList(): Teardown & { run(): Promise<void> } {
  const steps: (() => unknown)[] = [];
  return {
    teardown: (step) => void steps.push(step),
    run: async () => {
      for (const step of steps.reverse()) await Promise.resolve(step()).catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    },
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Mbit/s of an iperf3 TCP run from `from` in the left namespace to a one-off server on `to` in the right. */
async function iperf(t: Teardown, sites: Sites, options: { from: string; to: string }): Promise<number> {
  const server = spawnIn(sites.right.ns, ['iperf3', '--server', '--one-off', '--bind', options.to, '--port', '5301', '--forceflush'], { buffer: true });
  t.teardown(() => server.kill('SIGKILL'));
  let output = '';
  server.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(() => output.includes('Server listening'), { what: 'iperf3 to listen' });
  const client = await execa('ip', ['netns', 'exec', sites.left.ns, 'iperf3', '--client', options.to, '--bind', options.from, '--port', '5301', '--time', String(IPERF_SECONDS), '--json']);
  await server;
  const result = JSON.parse(String(client.stdout)) as { end: { sum_received: { bits_per_second: number } } };
  return result.end.sum_received.bits_per_second / 1e6;
}

/** One scenario with the given DPD timeout: start, recovery, and (when asked) throughput. */
async function measure(dir: string, options: { dpdTimeoutSeconds: number; throughput: boolean }): Promise<void> {
  const t = cleanupList();
  try {
    const sites = await makeSites(t);
    const config = parse(siteConfig(sites, { policy: { preset: 'azure-custom', custom: ECP384_POLICY, dpdTimeoutSeconds: options.dpdTimeoutSeconds } }));
    const peerOptions = {
      ns: sites.right.ns, dir: join(dir, 'azure'), offer: azureOffer(config.connections[0]!.policy)!, psk: PSK,
      local: { address: sites.right.outer, id: sites.right.outer }, remote: { address: sites.left.outer, id: sites.left.outer },
    };
    const peer = await startAzurePeer(t, peerOptions);
    const started = Date.now();
    await startDevice(t, { ns: sites.left.ns, dir, config, psk: PSK });
    const ping = startPing(t, { ns: sites.left.ns, from: sites.left.inner, to: sites.right.inner });
    const first = await ping.nextAnswer({ after: 0, timeoutMs: 300_000 });
    console.log(`  DPD timeout ${options.dpdTimeoutSeconds} s: charon start to the first ping answered: ${seconds(first.at - started)}`);

    const killed = Date.now();
    const last = ping.answers.at(-1) ?? 0;
    await killCharon(peer.charon);
    await startAzurePeer(t, peerOptions);
    const back = await ping.nextAnswer({ after: last + 1, timeoutMs: 600_000 });
    console.log(`  DPD timeout ${options.dpdTimeoutSeconds} s: peer killed and restarted to the next ping answered: ${seconds(back.at - killed)}`);
    await ping.stop();

    if (options.throughput) {
      const tunnel = await iperf(t, sites, { from: sites.left.inner, to: sites.right.inner });
      const plain = await iperf(t, sites, { from: sites.left.outer, to: sites.right.outer });
      console.log(`  iperf3 TCP ${IPERF_SECONDS} s: through the tunnel (kernel-libipsec, AES-GCM-256) ${tunnel.toFixed(0)} Mbit/s; the same namespaces without IPsec ${plain.toFixed(0)} Mbit/s`);
    }
  } finally {
    await t.run();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vpn-azure-bench-'));
  try {
    console.log('vpn-azure: the rendered custom ECP384 tunnel against a strongSwan Azure in network namespaces (one run; user-space ESP: throughput is a lower bound)');
    await measure(join(dir, 'dpd-45'), { dpdTimeoutSeconds: 45, throughput: false });
    await measure(join(dir, 'dpd-9'), { dpdTimeoutSeconds: 9, throughput: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
