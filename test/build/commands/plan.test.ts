import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../../../build/pipeline.js';
import { runCli } from '../../helpers/cli.js';
import { makeFakeBin } from '../../helpers/fake-bin.js';
import { buildDeb, publishIndex, serveMirror, stopMirror, type FakeMirror } from '../../helpers/fake-mirror.js';
import { writeFiles } from '../../helpers/temp-dir.js';

interface Context {
  dir: string;
  mirror: FakeMirror;
  env: Record<string, string>;
}

const test = anyTest as TestFn<Context>;

const GOLDEN = new URL('../../../../test/fixtures/plan/', import.meta.url);
const RELEASE = '6.12.107+deb13-armmp';
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bW1veS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw admin@test';

/** A trixie armhf archive holding a kernel package with the real sizes of 6.12.107-1 (board/README.md, "Boards"). */
async function publishKernel(root: string): Promise<void> {
  const debPath = `pool/main/l/linux/linux-image-${RELEASE}_6.12.107-1_armhf.deb`;
  await buildDeb(join(root, 'pkg'), join(root, 'debian', debPath), {
    'DEBIAN/control': Buffer.from(`Package: linux-image-${RELEASE}\nVersion: 6.12.107-1\nArchitecture: armhf\nMaintainer: T <t@example.invalid>\nDescription: k\n`),
    [`boot/vmlinuz-${RELEASE}`]: randomBytes(6_046_208),
    [`usr/lib/linux-image-${RELEASE}/armada-385-linksys-caiman.dtb`]: randomBytes(20_071),
    [`usr/lib/linux-image-${RELEASE}/armada-xp-linksys-mamba.dtb`]: randomBytes(19_004),
  });
  const size = (await stat(join(root, 'debian', debPath))).size;
  await publishIndex(root, {
    suite: 'trixie',
    arch: 'armhf',
    index: `Package: linux-image-${RELEASE}\nVersion: 6.12.107-1\nFilename: ${debPath}\nSize: ${size}\n\n` +
      `Package: linux-image-armmp\nVersion: 6.12.107-1\nDepends: linux-image-${RELEASE} (= 6.12.107-1)\nFilename: pool/x.deb\nSize: 1\n`,
  });
}

test.before(async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-plan-'));
  await publishKernel(join(dir, 'www'));
  const mirror = await serveMirror(join(dir, 'www'));
  // dpkg-query reports fixed tool versions, so the cache keys do not depend on this host
  const versions = ['mmdebstrap 1.5.7-1', 'qemu-user-static 1:10.0.2+ds-2', 'e2fsprogs 1.47.2-3', 'u-boot-tools 2025.01-3', 'fdisk 2.41-5', 'coreutils 9.7-3'];
  const bin = await makeFakeBin(dir, { 'dpkg-query': { stdout: `${versions.join('\n')}\n` } });
  await writeFiles(dir, { 'keys/admin.pub': `${PUBLIC_KEY}\n` });
  t.context = { dir, mirror, env: { PATH: `${bin}:${process.env.PATH}`, XDG_CACHE_HOME: join(dir, 'cache'), HOME: dir } };
});

test.after.always(async (t) => {
  await stopMirror(t.context.mirror);
  await rm(t.context.dir, { recursive: true, force: true });
});

/** Removes what differs between runs: the temporary directory, the mirror's port, keys and UUIDs derived from it. */
function sanitise(text: string, context: { dir: string; mirror: FakeMirror }): string {
  return text
    .replaceAll(context.mirror.url, '<mirror>')
    .replaceAll(context.dir, '<tmp>')
    .replace(/\b[0-9a-f]{64}\b/g, '<key>')
    .replace(/\[cache [0-9a-f]{12}\]/g, '[cache <key>]')
    .replace(/(work\/[\w-]+\/)[0-9a-f]{16}/g, '$1<key>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/(label-id: 0x|-i )[0-9a-f]{8}\b/g, '$1<id>');
}

async function compareGolden(t: ExecutionContext<Context>, name: string, actual: string): Promise<void> {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') await writeFile(file, actual);
  t.is(actual, await readFile(file, 'utf8'), `golden ${name}; rerun with UPDATE_GOLDEN=1 after an intended change`);
}

async function planFor(t: ExecutionContext<Context>, name: string, yaml: string, extraArgs: string[] = []) {
  const { dir, env, mirror } = t.context;
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, yaml.replaceAll('MIRROR', mirror.url));
  return runCli(['plan', '-c', config, ...extraArgs], { cwd: dir, env });
}

const MAMBA_YAML = `board: wrt1900ac-v1
hostname: gw-mamba
mirror: MIRROR
securityMirror: MIRROR-security
users:
  - name: root
    authorizedKeys: [keys/admin.pub]
`;

test('plan for wrt1900ac-v1 matches its golden output and flags the 4 MiB window', async (t) => {
  const result = await planFor(t, 'mamba', MAMBA_YAML);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /WARNING: the kernel blob \(about [\d.]+ MiB\) does not fit the 4 MiB read window: pri_kern_size and alt_kern_size must be raised/);
  await compareGolden(t, 'wrt1900ac-v1.txt', sanitise(result.stdout, t.context));
});

test('plan for x86-64 offline matches its golden output', async (t) => {
  const result = await planFor(t, 'x86', 'board: x86-64\nhostname: vote1\nmirror: MIRROR\nsecurityMirror: MIRROR-security\nimage: { size: 8GiB }\npackages: [mariadb-client]\n', ['--offline']);
  t.is(result.exitCode, 0, result.stderr);
  await compareGolden(t, 'x86-64.txt', sanitise(result.stdout, t.context));
});

test('plan --json for wrt1200ac reads the real sizes and names priKernSize with 6 MiB', async (t) => {
  const result = await planFor(t, 'caiman-json', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n', ['--json']);
  t.is(result.exitCode, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as Plan;
  t.is(plan.kernel.release, RELEASE);
  t.deepEqual(plan.budget.parts.map((part) => [part.name, part.bytes, part.source]), [
    ['zImage', 6_046_208, 'debian-package'], ['dtb', 20_071, 'debian-package'], ['initramfs', 4 * 1024 * 1024, 'estimate'],
  ]);
  t.is(plan.budget.status, 'exceeds-read-window');
  t.deepEqual(plan.budget.readWindow, { bytes: 6 * 1024 * 1024, variables: ['priKernSize', 'altKernSize'], confirmed: true });
  t.deepEqual(plan.steps.map((step) => step.id), ['bootstrap', 'configure', 'assemble', 'kernel-blob', 'rootfs-tar', 'rootfs-ext4', 'usb-image', 'manifest']);
});

test('plan writes nothing to disk', async (t) => {
  const result = await planFor(t, 'caiman', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n');
  t.is(result.exitCode, 0);
  await t.throwsAsync(stat(join(t.context.dir, 'cache')), { code: 'ENOENT' });
  await t.throwsAsync(stat(join(t.context.dir, 'out')), { code: 'ENOENT' });
});

test('an unreachable mirror leaves the budget unknown with the reason, and still plans', async (t) => {
  const result = await planFor(t, 'unreachable', 'board: wrt1200ac\nmirror: http://127.0.0.1:9/debian\nsecurityMirror: http://127.0.0.1:9/debian-security\n');
  t.is(result.exitCode, 0);
  t.regex(result.stderr, /warning: kernel package sizes unknown: .*127\.0\.0\.1:9/);
  t.regex(result.stdout, /UNKNOWN: blob size unknown: zImage \(mirror lookup failed/);
});
