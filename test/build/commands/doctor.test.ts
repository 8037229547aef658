import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { makeFakeBin } from '../../helpers/fake-bin.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const EVERY_TOOL = ['mmdebstrap', 'debootstrap', 'arch-test', 'xz', 'ssh-keygen', 'charon-systemd', 'swanctl', 'nft', 'mke2fs', 'sfdisk', 'qemu-arm-static', 'mkimage', 'fdtget', 'mkfs.fat', 'mcopy', 'qemu-system-x86_64', 'qemu-system-arm', 'in.tftpd'];

/** A host with only the given programs on PATH and its own binfmt directory. */
async function host(t: Parameters<typeof makeTempDir>[0], programs: string[], binfmt: Record<string, string> = {}) {
  const dir = await makeTempDir(t);
  const bin = await makeFakeBin(dir, Object.fromEntries(programs.map((name) => [name, {}])));
  const binfmtDir = join(dir, 'binfmt_misc');
  await mkdir(binfmtDir);
  for (const [name, text] of Object.entries(binfmt)) await writeFile(join(binfmtDir, name), text);
  return { PATH: bin, MCDEBIAN_BINFMT_DIR: binfmtDir, HOME: dir };
}

test('a host with everything for wrt1200ac passes and exits 0', async (t) => {
  const env = await host(t, EVERY_TOOL, { 'qemu-arm': 'enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\n' });
  const result = await runCli(['doctor', '--board', 'wrt1200ac'], { env });
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /Everything is installed\./);
  t.regex(result.stdout, /ok\s+qemu-arm\s+binfmt_misc entry/);
});

test('missing tools are named with the exact apt-get line and exit 1', async (t) => {
  const env = await host(t, ['xz', 'mke2fs', 'fdtget'], {});
  const result = await runCli(['doctor', '--board', 'wrt1200ac'], { env });
  t.is(result.exitCode, 1);
  t.regex(result.stdout, /MISSING\s+mmdebstrap\s+bootstraps the root filesystem \(not on PATH; Debian package mmdebstrap\)/);
  t.regex(result.stdout, /MISSING\s+qemu-arm\s+.*is not registered/);
  t.regex(result.stdout, /\n  apt-get install arch-test binfmt-support charon-systemd fdisk mmdebstrap nftables openssh-client qemu-user-static strongswan-swanctl tftpd-hpa u-boot-tools\n/);
});

test('a disabled binfmt entry is reported with how to enable it', async (t) => {
  const env = await host(t, EVERY_TOOL, { 'qemu-arm': 'disabled\n' });
  const result = await runCli(['doctor', '--board', 'qemu-armhf'], { env });
  t.is(result.exitCode, 1);
  t.regex(result.stdout, /qemu-arm is disabled/);
  t.regex(result.stdout, /update-binfmts --enable qemu-arm/);
});

test('optional boot tools missing do not fail the check', async (t) => {
  const env = await host(t, EVERY_TOOL.filter((name) => name !== 'qemu-system-x86_64'));
  const result = await runCli(['doctor', '--board', 'x86-64'], { env });
  t.is(result.exitCode, 0, result.stdout);
  t.regex(result.stdout, /missing\s+qemu-system-x86_64\s+mcdebian boot/);
  t.regex(result.stdout, /0 required and \d+ optional missing/);
  t.notRegex(result.stdout, /qemu-arm-static/, 'an amd64 board needs no emulator on an amd64 host');
});

test('--bootstrapper debootstrap checks debootstrap instead of mmdebstrap', async (t) => {
  const env = await host(t, EVERY_TOOL.filter((name) => name !== 'debootstrap'), { 'qemu-arm': 'enabled\n' });
  const result = await runCli(['doctor', '--board', 'wrt1200ac', '--bootstrapper', 'debootstrap', '--json'], { env });
  t.is(result.exitCode, 1);
  const report = JSON.parse(result.stdout) as { ok: boolean; install: string; results: { prerequisite: { name: string }; ok: boolean }[] };
  t.false(report.ok);
  t.is(report.install, 'apt-get install debootstrap');
  t.false(report.results.some((r) => r.prerequisite.name === 'mmdebstrap'));
});

test('--packages lists every Debian package the boards need, for setup scripts', async (t) => {
  const result = await runCli(['doctor', '--packages']);
  t.is(result.exitCode, 0);
  for (const name of ['mmdebstrap', 'arch-test', 'qemu-user-static', 'binfmt-support', 'u-boot-tools', 'e2fsprogs', 'fdisk', 'device-tree-compiler', 'mtools', 'dosfstools', 'ovmf', 'u-boot-qemu', 'qemu-system-arm', 'qemu-system-x86', 'xz-utils']) {
    t.true(result.stdout.split(/\s+/).includes(name), name);
  }
});
