/**
 * The A/B flash end to end on the QEMU stand-in (one build, one QEMU run; the guest reboots
 * inside it, and the flash stand-in disk keeps what was written):
 * - the MTD writing (flash_erase, nandwrite -p, nanddump read-back, fw_setenv, the boot counter)
 *   against nandsim with caiman's geometry and a bad block, inside the booted guest;
 * - preflight refuses a device that is not the board, and nothing is written;
 * - `flash sftp --dry-run` prints every step and writes nothing;
 * - without --identity, `flash sftp` logs in with the private half of the config's key;
 * - `flash sftp` resumes a cut-off upload and writes slot 2, which U-Boot boots and the device
 *   confirms healthy, saying on stderr what its health wait waits for;
 * - a broken image in slot 1 fails to boot three times and the boot counter brings slot 2 back,
 *   which the command reports;
 * - `flash sftp --rootfs` stages the build's root filesystem, which the initramfs puts in place,
 *   keeping the host keys and the paths asked for.
 */
import anyTest, { type TestFn } from 'ava';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseBootCounter } from '../../flash/bootcount.js';
import { readBackCommand, writeSlotCommand } from '../../flash/slot-commands.js';
import { parseEnvironment, serializeEnvironment } from '../../flash/uboot-env.js';
import { bootGuest, makeWorkspace, removeWorkspace, runCliIn, testCacheDir, writeConfig, type BootedGuest, type Workspace } from '../helpers/guest.js';
import { testNeeding } from '../helpers/tools.js';
import { rewrapMultiImage } from '../helpers/uimage.js';

interface Context {
  workspace: Workspace;
  config: string;
}

const running: { guest?: BootedGuest & { sshPort: number } } = {};
const test = anyTest as TestFn<Context>;
const serial = testNeeding<Context>({ tools: { mmdebstrap: 'mmdebstrap', 'qemu-system-arm': 'qemu-system-arm', mkimage: 'u-boot-tools', sfdisk: 'fdisk', 'qemu-img': 'qemu-utils', 'mkfs.fat': 'dosfstools', mcopy: 'mtools', 'ssh-keygen': 'openssh-client', ssh: 'openssh-client' } }, { serial: true });

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

test.before(async (t) => {
  const workspace = await makeWorkspace(await testCacheDir());
  t.context = { workspace, config: await writeConfig(workspace, 'flash', ['board: qemu-armhf', 'hostname: flashme']) };
});

test.after.always(async (t) => {
  await running.guest?.powerOff().catch(() => undefined);
  await removeWorkspace(t.context.workspace);
});

const out = (t: { context: Context }, ...path: string[]) => join(t.context.workspace.dir, 'out', 'qemu-armhf', ...path);
const guest = () => {
  if (!running.guest) throw new Error('the guest did not boot');
  return running.guest;
};

/** `flash sftp` against the guest, with the test key and the guest's host key in a known_hosts file. */
function flashSftp(t: { context: Context }, args: string[]) {
  return runCliIn(t.context.workspace, [
    'flash', 'sftp', '--host', '127.0.0.1', '--port', String(guest().sshPort), '--identity', 'keys/test', '--known-hosts', 'known_hosts', ...args,
  ], 40);
}

/** Runs a command in the guest that must succeed; returns its output. */
async function inGuest(command: string): Promise<string> {
  const result = await guest().run(command);
  if (result.code !== 0) throw new Error(`${command} exited ${result.code}: ${result.stdout}`);
  return result.stdout;
}

serial(`qemu-armhf builds and boots from slot 1 of the flash stand-in`, async (t) => {
  t.timeout(40 * 60_000);
  const { workspace, config } = t.context;
  const build = await runCliIn(workspace, ['build', '-c', config]);
  t.is(build.exitCode, 0, build.stderr);
  running.guest = await bootGuest(workspace, config, { minutes: 15, bootArgs: ['--flash-disk', join(workspace.dir, 'flash.img')] });
  t.regex(await inGuest('cat /proc/cmdline'), /root=\/dev\/mtdblock5/);
  t.is((await inGuest('fw_printenv -n boot_part')).trim(), '1');
  t.regex(guest().console(), /McDebian stand-in: boot_part 1, boot count 1: run nandboot/);
  const hostKey = (await inGuest('cat /etc/ssh/ssh_host_ed25519_key.pub')).trim().split(' ').slice(0, 2).join(' ');
  await writeFile(join(workspace.dir, 'known_hosts'), `[127.0.0.1]:${guest().sshPort} ${hostKey}\n`);
  // the healthy boot reset the counter U-Boot raised
  await inGuest('systemctl is-system-running --wait || true');
  t.regex(await inGuest('mcdebian-bootcount print --json'), /"count":\s*0/);
});

serial('nandsim with caiman\'s geometry: slot write and read-back across a bad block, fw_setenv and the boot counter on MTD', async (t) => {
  t.timeout(10 * 60_000);
  // 128 MiB, 2 KiB pages, 128 KiB erase blocks (a Micron 1 Gbit id); partitions in erase
  // blocks: kernel1 (320 = 40 MiB, block 5 bad), u_env (2), s_env (2)
  await inGuest('modprobe nandsim id_bytes=0x2c,0xf1,0x80,0x95,0x02 parts=320,2,2 badblocks=5');
  const mtd = await inGuest('cat /proc/mtd');
  const device = (index: number) => `/dev/${/^(mtd\d+):/m.exec(mtd.split('\n').filter((line) => line.includes('NAND simulator partition')).at(index) ?? '')?.[1]}`;
  const [kernel, uEnv, sEnv] = [device(0), device(1), device(2)];
  t.regex(mtd, /02800000 00020000 "NAND simulator partition 0"/);

  const image = await readFile(out(t, 'kernel.uimg'));
  await execa('sh', ['-c', `ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i keys/test -p ${guest().sshPort} root@127.0.0.1 'cat > /var/tmp/nand.uimg' < ${out(t, 'kernel.uimg')}`], { cwd: t.context.workspace.dir });
  await inGuest(writeSlotCommand('mtd', kernel, '/var/tmp/nand.uimg'));
  t.is((await inGuest(readBackCommand('mtd', kernel, image.length))).trim(), sha256(image), 'nanddump --bb=skipbad reads back what nandwrite -p wrote around the bad block');
  // the bad block really is in the way: a plain read of the slot differs
  t.not((await inGuest(`head -c ${image.length} ${kernel} | sha256sum | cut -d' ' -f1`)).trim(), sha256(image));

  // u_env: an environment written as a slot is, then changed by fw_setenv -s on the MTD device
  await writeFile(join(t.context.workspace.dir, 'env.bin'), serializeEnvironment({ boot_part: '1', bootcmd: 'run nandboot', priKernSize: '0x0600000' }, { size: 0x2_0000 }));
  await execa('sh', ['-c', `ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i keys/test -p ${guest().sshPort} root@127.0.0.1 'cat > /var/tmp/env.bin' < env.bin`], { cwd: t.context.workspace.dir });
  await inGuest(writeSlotCommand('mtd', uEnv, '/var/tmp/env.bin'));
  await inGuest(`echo "${uEnv} 0x0 0x20000 0x40000" > /var/tmp/fw_env.config && printf 'boot_part=2\\nbootcmd=run altnandboot\\n' | fw_setenv -c /var/tmp/fw_env.config -s -`);
  const envDump = Buffer.from(await inGuest(`nanddump -q -l 0x20000 ${uEnv} | base64 -w0`), 'base64');
  const env = parseEnvironment(envDump.subarray(0, 0x2_0000), { size: 0x2_0000 });
  t.true(env.crcOk);
  t.deepEqual(Object.fromEntries(env.variables), { boot_part: '2', bootcmd: 'run altnandboot', priKernSize: '0x0600000' });

  // s_env: U-Boot's count of 3, then the device's reset appends {magic, 0, magic} on the next page
  const counter = `MCDEBIAN_BOOTCOUNT_DEVICE=${sEnv} MCDEBIAN_BOOTCOUNT_KIND=mtd`;
  await inGuest(`${counter} mcdebian-bootcount reset`);
  await inGuest(`${counter} mcdebian-bootcount reset`); // already 0: writes nothing
  const log = parseBootCounter(Buffer.from(await inGuest(`nanddump -q ${sEnv} | base64 -w0`), 'base64'), { recordStride: 2048 });
  t.is(log.records.length, 1);
  t.is(log.count, 0);
  await inGuest('rmmod nandsim');
});

serial('preflight refuses a device that is not the board, and writes nothing', async (t) => {
  t.timeout(5 * 60_000);
  const before = await inGuest('sha256sum /dev/disk/by-partlabel/kernel2 /dev/disk/by-partlabel/u_env');
  const result = await flashSftp(t, ['--board', 'wrt1200ac', '--image', out(t, 'kernel.uimg')]);
  t.is(result.exitCode, 1, result.stdout);
  t.regex(result.stderr, /refusing to flash 127\.0\.0\.1: it does not match wrt1200ac/);
  t.regex(result.stderr, /device tree: the device is "linux,dummy-virt", wrt1200ac is "linksys,caiman"/);
  t.regex(result.stderr, /no "kernel1" in \/proc\/mtd/);
  t.regex(result.stderr, /nothing was written/);
  t.is(await inGuest('sha256sum /dev/disk/by-partlabel/kernel2 /dev/disk/by-partlabel/u_env'), before);
});

serial('a host key other than known_hosts has is refused before anything is read', async (t) => {
  await writeFile(join(t.context.workspace.dir, 'other_known_hosts'), `[127.0.0.1]:${guest().sshPort} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
  const result = await runCliIn(t.context.workspace, ['flash', 'sftp', '-c', t.context.config, '--host', '127.0.0.1', '--port', String(guest().sshPort), '--identity', 'keys/test', '--known-hosts', 'other_known_hosts', '--dry-run']);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /presented host key SHA256:\S+, which does not match known_hosts/);
});

serial('--dry-run connects, passes preflight and prints every step without writing', async (t) => {
  const before = await inGuest('sha256sum /dev/disk/by-partlabel/kernel2');
  const result = await flashSftp(t, ['-c', t.context.config, '--dry-run']);
  t.is(result.exitCode, 0, result.stderr);
  for (const step of ['upload', 'write slot 2', 'dd if=', 'read back and compare sha256', 'fw_setenv -s -', 'boot_part=2', 'bootcmd=run altnandboot', 'systemctl reboot', 'wait for health']) {
    t.true(result.stdout.includes(step), `${step} in:\n${result.stdout}`);
  }
  t.is(await inGuest('sha256sum /dev/disk/by-partlabel/kernel2'), before);
});

serial('without --identity, flash sftp logs in with the private half of the key the config authorizes', async (t) => {
  // keys/test.pub is the config's users[].authorizedKeys; no agent, no ~/.ssh key for this user
  const result = await runCliIn({ ...t.context.workspace, env: { ...t.context.workspace.env, SSH_AUTH_SOCK: '' } }, [
    'flash', 'sftp', '-c', t.context.config, '--host', '127.0.0.1', '--port', String(guest().sshPort), '--known-hosts', 'known_hosts', '--dry-run',
  ]);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /dry run: nothing written to 127\.0\.0\.1/);
});

serial('flash sftp resumes an upload, writes slot 2, U-Boot boots it, and the device comes back healthy on it', async (t) => {
  t.timeout(30 * 60_000);
  const image = join(t.context.workspace.dir, 'slot-b.uimg');
  const bytes = rewrapMultiImage(await readFile(out(t, 'kernel.uimg')), { name: 'McDebian slot B test' });
  await writeFile(image, bytes);
  // an upload cut off after 5 MB: the flash resumes it
  await writeFile(join(t.context.workspace.dir, 'partial'), bytes.subarray(0, 5_000_000));
  const partial = `/var/tmp/mcdebian-flash/${sha256(bytes).slice(0, 16)}.uimg`;
  await execa('sh', ['-c', `ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i keys/test -p ${guest().sshPort} root@127.0.0.1 'mkdir -p /var/tmp/mcdebian-flash && cat > ${partial}' < partial`], { cwd: t.context.workspace.dir });
  const result = await flashSftp(t, ['-c', t.context.config, '--image', image, '--json', '--health-timeout', '1200']);
  t.is(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
  t.regex(result.stderr, /resuming the upload at byte 5000000/);
  // the health wait said on stderr what it waited for (stdout holds the JSON report alone)
  t.regex(result.stderr, /^waiting for health, 0 s of 20 min 00 s: 127\.0\.0\.1 is rebooting$/m);
  t.regex(result.stderr, /^waiting for health, \d+ (s|min \d\d s) of 20 min 00 s: 127\.0\.0\.1 (does not answer yet \(.+\)|is booting \(systemctl is-system-running: \w+\): .+)$/m);
  const report = JSON.parse(result.stdout) as { outcome: string; bootedSlot: number; plan: { targetSlot: number; readSize: number }; bootCount: number };
  t.is(report.outcome, 'healthy');
  t.is(report.plan.targetSlot, 2);
  t.is(report.bootedSlot, 2);
  t.is(report.bootCount, 0);
  t.regex(guest().console(), /Image Name:\s+McDebian slot B test/);
  t.regex(await inGuest('cat /proc/cmdline'), /root=\/dev\/mtdblock7/);
  t.is((await inGuest('fw_printenv -n boot_part')).trim(), '2');
  t.is((await inGuest('fw_printenv -n altKernSize')).trim(), `0x${report.plan.readSize.toString(16)}`);
});

serial('a broken image in slot 1 fails three boots and the boot counter brings slot 2 back, as the command reports', async (t) => {
  t.timeout(30 * 60_000);
  const image = join(t.context.workspace.dir, 'broken.uimg');
  // valid CRCs, so every host-side check passes, but the device tree part is zeros: U-Boot's bootm fails
  await writeFile(image, rewrapMultiImage(await readFile(out(t, 'kernel.uimg')), { name: 'McDebian broken test', zeroPart: 2 }));
  const consoleBefore = guest().console().length;
  const result = await flashSftp(t, ['-c', t.context.config, '--image', image, '--json', '--health-timeout', '1200']);
  t.is(result.exitCode, 1, `${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as { outcome: string; bootedSlot: number; message: string; plan: { targetSlot: number } };
  t.is(report.plan.targetSlot, 1);
  t.is(report.outcome, 'fell-back');
  t.is(report.bootedSlot, 2);
  t.regex(report.message, /came back on slot 2, the old one/);
  const console = guest().console().slice(consoleBefore);
  t.is(console.match(/boot_part 1, boot count \d: run nandboot/g)?.length, 3);
  t.regex(console, /slot 1 booted 3 times with no healthy system resetting the counter, auto_recovery switches slots/);
  t.is((await inGuest('fw_printenv -n boot_part')).trim(), '2');
  t.regex(await inGuest('cat /proc/cmdline'), /root=\/dev\/mtdblock7/);
});

serial('flash sftp --rootfs replaces the root filesystem at the next boot, keeping the host keys and the paths asked for', async (t) => {
  t.timeout(40 * 60_000);
  await inGuest('echo kept > /etc/kept-by-test && echo gone > /root/not-kept && mkdir -p /var/lib/bind && echo journal > /var/lib/bind/test.jnl');
  const hostKey = await inGuest('cat /etc/ssh/ssh_host_ed25519_key.pub');
  const result = await flashSftp(t, ['-c', t.context.config, '--rootfs', '--keep', '/etc/kept-by-test', '--json', '--health-timeout', '1800']);
  t.is(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as { outcome: string; rootfs: string; bootedSlot: number; plan: { targetSlot: number }; steps: { step: string }[] };
  t.is(report.outcome, 'healthy');
  t.is(report.rootfs, 'in-place');
  t.is(report.bootedSlot, report.plan.targetSlot);
  t.true(report.steps.some((step) => step.step === 'unpack the new root filesystem'));
  t.regex(guest().console(), /the root filesystem staged by flash sftp is in place/);
  t.is((await inGuest('cat /etc/kept-by-test')).trim(), 'kept');
  t.is((await inGuest('cat /var/lib/bind/test.jnl')).trim(), 'journal');
  t.is(await inGuest('cat /etc/ssh/ssh_host_ed25519_key.pub'), hostKey);
  t.is((await guest().run('test -e /root/not-kept')).code, 1, 'what was not kept is gone with the old root');
  // the healthy boot dropped the old root; nothing of the update is left behind
  t.is((await inGuest('ls -A / | grep -c "^\\.mcdebian-" || true')).trim(), '0');
});
