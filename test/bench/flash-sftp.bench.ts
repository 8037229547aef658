/**
 * Wall time of an SFTP flash, one run, figures printed (never asserted):
 *   npm run bench:flash   (MCDEBIAN_TEST_CACHE=dir reuses a base between runs)
 * Builds and boots qemu-armhf with its flash stand-in, then runs `mcdebian flash sftp` against
 * it RUNS times, alternating slots, and prints each step's seconds from the --json report: the
 * upload over QEMU's forwarded port, the slot write and read-back, the switch, and the wait
 * from the reboot until the device is back, healthy, on the new slot. The guest runs under TCG,
 * so the reboot dominates; on a router the upload and the NAND write are what change.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootGuest, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type BootedGuest } from '../helpers/guest.js';

const RUNS = Number(process.env.RUNS ?? 2);

interface Report { outcome: string; bytes: number; plan: { targetSlot: number }; steps: { step: string; seconds?: number }[] }

const workspace = await makeWorkspace(await testCacheDir());
let guest: (BootedGuest & { sshPort: number }) | undefined;
try {
  const config = await writeConfig(workspace, 'bench', ['board: qemu-armhf', 'hostname: flashbench']);
  const build = await runCliIn(workspace, ['build', '-c', config], 40);
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr}`);
  guest = await bootGuest(workspace, config, { minutes: 15, bootArgs: ['--flash-disk', join(workspace.dir, 'flash.img')] });
  const hostKey = (await guest.run('cat /etc/ssh/ssh_host_ed25519_key.pub')).stdout.trim().split(' ').slice(0, 2).join(' ');
  await writeFile(join(workspace.dir, 'known_hosts'), `[127.0.0.1]:${guest.sshPort} ${hostKey}\n`);
  const bytes = (await readFile(join(workspace.dir, 'out', 'qemu-armhf', 'kernel.uimg'))).length;
  console.log(`flash sftp of kernel.uimg (${(bytes / 1e6).toFixed(1)} MB) into qemu-armhf's stand-in under TCG, ${RUNS} runs`);
  for (let run = 1; run <= RUNS; run++) {
    const started = performance.now();
    const result = await runCliIn(workspace, [
      'flash', 'sftp', '-c', config, '--host', '127.0.0.1', '--port', String(guest.sshPort),
      '--identity', 'keys/test', '--known-hosts', 'known_hosts', '--json', '--health-timeout', '1200',
    ], 40);
    const seconds = (performance.now() - started) / 1000;
    if (result.exitCode !== 0) throw new Error(`flash failed:\n${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as Report;
    const steps = report.steps.map((step) => `${step.step} ${step.seconds?.toFixed(1)} s`).join(', ');
    console.log(`run ${run}: slot ${report.plan.targetSlot}, ${report.outcome}, ${seconds.toFixed(1)} s wall: ${steps}`);
  }
} finally {
  await guest?.powerOff().catch(() => undefined);
  await removeWorkspace(workspace);
}
