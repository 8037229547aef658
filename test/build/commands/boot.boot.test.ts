/** `mcdebian boot --detach` with the real qemu-armhf image: built, detached until SSH answers, logged into, and stopped. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { probeHostPort } from '../../../build/host-ports.js';
import { freePort, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig } from '../../helpers/guest.js';
import { sshExec } from '../../helpers/ssh.js';
import { testWithTools } from '../../helpers/tools.js';

const gone = (path: string) => stat(path).then(() => false, () => true);

/**
 * A process that is gone, or a zombie: QEMU's parent, boot --detach, has exited, and where
 * PID 1 does not reap orphans (some containers) the dead QEMU lingers as Z until it does.
 */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

const IMAGE_TOOLS = { mmdebstrap: 'mmdebstrap', 'qemu-system-arm': 'qemu-system-arm', mkimage: 'u-boot-tools', 'qemu-img': 'qemu-utils', 'mkfs.fat': 'dosfstools', sfdisk: 'fdisk', 'e2fsck': 'e2fsprogs' };

testWithTools(IMAGE_TOOLS, 'the qemu-armhf image runs detached: boot --detach returns once SSH answers, the printed ports log in, and --stop powers it off leaving no QEMU', async (t) => {
  t.timeout(60 * 60_000);
  const workspace = await makeWorkspace(await testCacheDir());
  t.teardown(() => removeWorkspace(workspace));
  workspace.env.XDG_RUNTIME_DIR = join(workspace.dir, 'run');
  const config = await writeConfig(workspace, 'qemu', ['board: qemu-armhf', 'hostname: detached']);
  const built = await runCliIn(workspace, ['build', '-c', config]);
  t.is(built.exitCode, 0, built.stderr.slice(-3000));
  t.teardown(async () => { await runCliIn(workspace, ['boot', '--stop', '-c', config, '--grace', '0']); });

  const [ssh, extra] = [await freePort(), await freePort()];
  const started = await runCliIn(workspace, ['boot', '--detach', '-c', config, '--ssh-port', String(ssh), '--forward', `tcp:${extra}:22`, '--json'], 20);
  t.is(started.exitCode, 0, started.stderr.slice(-3000));
  const guest = JSON.parse(started.stdout) as { pid: number; ssh: { port: number; banner: string }; forwards: { hostPort: number; guestPort: number }[]; runDir: string };
  t.regex(guest.ssh.banner, /^SSH-2\.0-OpenSSH_/);
  t.is((await sshExec(guest.ssh.port, workspace.privateKey, 'hostname', 120_000)).stdout.trim(), 'detached', 'the printed SSH port logs in');
  t.is((await sshExec(guest.forwards[0]!.hostPort, workspace.privateKey, 'hostname', 120_000)).stdout.trim(), 'detached', 'the printed forward reaches the guest');

  // a grace a busy machine meets (the default 60 s was missed with load 7): --stop returns as
  // soon as the guest has powered off
  const stopped = await runCliIn(workspace, ['boot', '--stop', '-c', config, '--grace', '900', '--json'], 20);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.like(JSON.parse(stopped.stdout), { board: 'qemu-armhf', pid: guest.pid, outcome: 'powered-off' });
  t.true(await isGone(guest.pid), `QEMU (pid ${guest.pid}) still runs`);
  t.true(await gone(guest.runDir));
  t.is(await probeHostPort({ protocol: 'tcp', port: ssh }), undefined, 'the SSH port is free again');
});
