/**
 * callhome reconnect benchmark, one run, figures printed (never asserted):
 *   npm run bench:callhome   (MCDEBIAN_TEST_CACHE=dir reuses a base between runs)
 * Builds and boots qemu-armhf with callhome to a real sshd on loopback, then measures the time
 * from a cut to the first login through the reverse port again, several times per kind of cut:
 * - kill: the managed host's session processes are killed (the TCP connection closes)
 * - restart: the managed host's sshd is stopped and started
 * - frozen: the session stops answering (SIGSTOP); the managed host reaps it after
 *   ClientAliveInterval x ClientAliveCountMax, as its sshd would, and the client must notice alone
 * Then the same with the reference setup's client settings (ServerAliveInterval 20,
 * ServerAliveCountMax 1, RestartSec 60), set in the running guest. Goal: under 15 s.
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootGuest, freePort, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type BootedGuest } from '../helpers/guest.js';
import { startManagedHost, waitForLogin, type ManagedHost } from '../helpers/managed-sshd.js';

const CUTS = Number(process.env.CUTS ?? 5);
/** The managed host's reap time from the rendered sshd_config: 5 s x 2. */
const SERVER_REAP_SECONDS = 10;

interface Figures { kind: string; seconds: number[] }

const summary = ({ kind, seconds }: Figures) => {
  const sorted = seconds.toSorted((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `${kind.padEnd(8)} n=${sorted.length}  min ${sorted[0]?.toFixed(1)} s  median ${median.toFixed(1)} s  max ${sorted.at(-1)?.toFixed(1)} s  [${sorted.map((s) => s.toFixed(1)).join(', ')}]`;
};

async function measure(host: ManagedHost, port: number, key: string, settle: () => Promise<void>): Promise<Figures[]> {
  const kinds: Record<string, () => Promise<void>> = {
    kill: async () => { await host.cutSessions(); },
    restart: async () => { await host.stop(); await host.start(); },
    frozen: async () => {
      const pids = await host.freezeSessions();
      setTimeout(() => pids.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }), SERVER_REAP_SECONDS * 1000);
    },
  };
  const figures: Figures[] = [];
  for (const [kind, cut] of Object.entries(kinds)) {
    const seconds: number[] = [];
    for (let i = 0; i < CUTS; i++) {
      await settle();
      const started = Date.now();
      await cut();
      await waitForLogin(port, key, { minutes: 5, what: `${kind} cut ${i + 1}` });
      seconds.push((Date.now() - started) / 1000);
      process.stderr.write(`bench: ${kind} ${i + 1}/${CUTS}: ${seconds.at(-1)!.toFixed(1)} s\n`);
    }
    figures.push({ kind, seconds });
  }
  return figures;
}

/** The reference setup's client timing, applied to the running guest's unit and ssh config. */
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
    const key = workspace.privateKey;
    await waitForLogin(remotePort, key, { minutes: 5, what: 'first tunnel' });
    // a tunnel that just came up may still be settling its forward: wait a little before each cut
    const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 3000));
    const ours = await measure(host, remotePort, key, settle);
    await useReferenceSettings(guest);
    await waitForLogin(remotePort, key, { minutes: 5, what: 'reference settings' });
    const reference = await measure(host, remotePort, key, settle);
    console.log(`callhome reconnect, time from the cut to a login through the reverse port (${CUTS} cuts each; goal < 15 s)`);
    console.log('McDebian settings (ServerAliveInterval 5 x 2, RestartSec 2):');
    for (const figures of ours) console.log(`  ${summary(figures)}`);
    console.log('reference settings (ServerAliveInterval 20 x 1, RestartSec 60):');
    for (const figures of reference) console.log(`  ${summary(figures)}`);
  } finally {
    await guest?.powerOff().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    await removeWorkspace(workspace);
  }
}

await main();
