/**
 * callhome reconnect benchmark, one run, figures printed (never asserted):
 *   npm run bench:callhome   (MCDEBIAN_TEST_CACHE=dir reuses a base between runs)
 * Builds and boots qemu-armhf with callhome to a real sshd on loopback, then measures the time
 * from a cut to the first login through the reverse port again, several times per kind of cut:
 * - kill: the managed host's session processes are killed (the TCP connection closes)
 * - restart: the managed host's sshd is stopped and started
 * - frozen: the session stops answering (SIGSTOP) and is killed after ClientAliveInterval x
 *   ClientAliveCountMax (6 s), as the managed host's sshd would reap it
 * - blackhole: nftables in the guest drops the tunnel's packets both ways for 20 s, so that
 *   both ends give the session up on their own; timed from when the path is back
 * Then the same with the client settings of the unit callhome replaces (ServerAliveInterval 20,
 * ServerAliveCountMax 1, RestartSec 60), set in the running guest. Goal: under 15 s.
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootGuest, freePort, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type BootedGuest } from '../helpers/guest.js';
import { startManagedHost, waitForLogin, type ManagedHost } from '../overlays/callhome/helpers/managed-sshd.js';

const CUTS = Number(process.env.CUTS ?? 5);
/** The managed host's reap time from the rendered sshd_config: 3 s x 2. */
const SERVER_REAP_SECONDS = 6;
const BLACKHOLE_SECONDS = 20;

interface Figures { kind: string; seconds: number[] }

const summary = ({ kind, seconds }: Figures) => {
  const sorted = seconds.toSorted((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `${kind.padEnd(9)} n=${sorted.length}  min ${sorted[0]?.toFixed(1)} s  median ${median.toFixed(1)} s  max ${sorted.at(-1)?.toFixed(1)} s  [${sorted.map((s) => s.toFixed(1)).join(', ')}]`;
};

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** nftables rules in the guest that drop the tunnel's packets both ways. */
const blackholeRules = (sshdPort: number) => [
  'nft add table inet bench',
  'nft \'add chain inet bench out { type filter hook output priority 0; }\'',
  `nft add rule inet bench out ip daddr 10.0.2.2 tcp dport ${sshdPort} drop`,
  'nft \'add chain inet bench in { type filter hook input priority 0; }\'',
  `nft add rule inet bench in ip saddr 10.0.2.2 tcp sport ${sshdPort} drop`,
].join(' && ');

interface Setup { host: ManagedHost; guest: BootedGuest; sshdPort: number; remotePort: number; key: string }

async function measure({ host, guest, sshdPort, remotePort, key }: Setup): Promise<Figures[]> {
  // each cut resolves when the clock starts
  const kinds: Record<string, () => Promise<void>> = {
    kill: async () => { await host.cutSessions(); },
    restart: async () => { await host.stop(); await host.start(); },
    frozen: async () => {
      const pids = await host.freezeSessions();
      setTimeout(() => pids.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }), SERVER_REAP_SECONDS * 1000);
    },
    blackhole: async () => {
      await guest.run(blackholeRules(sshdPort));
      await sleep(BLACKHOLE_SECONDS);
      await guest.run('nft delete table inet bench');
    },
  };
  const figures: Figures[] = [];
  for (const [kind, cut] of Object.entries(kinds)) {
    const seconds: number[] = [];
    for (let i = 0; i < CUTS; i++) {
      await sleep(3); // a tunnel that just came up may still be settling its forward
      const started = kind === 'blackhole' ? await cut().then(() => Date.now()) : Date.now();
      if (kind !== 'blackhole') await cut();
      await waitForLogin(remotePort, key, { minutes: 5, what: `${kind} cut ${i + 1}` });
      seconds.push((Date.now() - started) / 1000);
      process.stderr.write(`bench: ${kind} ${i + 1}/${CUTS}: ${seconds.at(-1)!.toFixed(1)} s\n`);
    }
    figures.push({ kind, seconds });
  }
  return figures;
}

/** The replaced unit's client timing (overlays/callhome/README.md), applied to the guest's unit and ssh config. */
async function useReferenceSettings(guest: BootedGuest): Promise<void> {
  await guest.run([
    'mkdir -p /etc/systemd/system/mcdebian-callhome.service.d',
    'printf "[Service]\\nRestartSec=60\\n" > /etc/systemd/system/mcdebian-callhome.service.d/reference.conf',
    'sed -i "s/ServerAliveInterval .*/ServerAliveInterval 20/; s/ServerAliveCountMax .*/ServerAliveCountMax 1/" /etc/mcdebian/callhome/ssh_config',
    'systemctl daemon-reload', 'systemctl restart mcdebian-callhome',
  ].join(' && '));
}

async function main(): Promise<void> {
  const workspace = await makeWorkspace(await testCacheDir());
  const [sshdPort, remotePort] = [await freePort(), await freePort()];
  let host: ManagedHost | undefined;
  let guest: BootedGuest | undefined;
  try {
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(workspace.dir, 'keys', 'host_key')]);
    const config = await writeConfig(workspace, 'bench', ['board: qemu-armhf', 'hostname: bench', 'overlays:', '  callhome:', '    host: 10.0.2.2',
      `    port: ${sshdPort}`, '    user: root', '    hostKey: keys/host_key.pub', `    remotePort: ${remotePort}`]);
    process.stderr.write('bench: building qemu-armhf with callhome...\n');
    const build = await runCliIn(workspace, ['build', '-c', config]);
    if (build.exitCode !== 0) throw new Error(build.stderr.slice(-3000));
    const out = join(workspace.dir, 'out', 'qemu-armhf', 'callhome');
    host = await startManagedHost({ dir: workspace.dir, port: sshdPort, hostKey: join(workspace.dir, 'keys', 'host_key'),
      authorizedKeys: await readFile(join(out, 'authorized_keys'), 'utf8'), include: join(out, 'sshd_config') });
    process.stderr.write('bench: booting...\n');
    guest = await bootGuest(workspace, config, { minutes: 15 });
    const setup: Setup = { host, guest, sshdPort, remotePort, key: workspace.privateKey };
    await waitForLogin(remotePort, setup.key, { minutes: 5, what: 'first tunnel' });
    const ours = await measure(setup);
    await useReferenceSettings(guest);
    await waitForLogin(remotePort, setup.key, { minutes: 5, what: 'reference settings' });
    const reference = await measure(setup);
    console.log(`callhome reconnect: seconds from the cut (blackhole: from the path's return after ${BLACKHOLE_SECONDS} s) to a login through the reverse port, ${CUTS} cuts each; goal < 15 s`);
    console.log('McDebian settings (ServerAliveInterval 3 x 2, RestartSec 1):');
    for (const figures of ours) console.log(`  ${summary(figures)}`);
    console.log('reference settings (ServerAliveInterval 20 x 1, RestartSec 60; the same managed host):');
    for (const figures of reference) console.log(`  ${summary(figures)}`);
  } finally {
    await guest?.powerOff().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    await removeWorkspace(workspace);
  }
}

await main();
