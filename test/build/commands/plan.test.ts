import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Plan } from '../../../build/pipeline.js';
import { runCli } from '../../helpers/cli.js';
import { makeFakeBin } from '../../helpers/fake-bin.js';
import { buildDeb, publishIndex, serveMirror, stopMirror, type FakeMirror } from '../../helpers/fake-mirror.js';
import { elfModule } from '../../helpers/kernel-module.js';
import { writeFiles } from '../../helpers/temp-dir.js';

interface Context {
  dir: string;
  mirror: FakeMirror;
  env: Record<string, string>;
}

const test = anyTest as TestFn<Context>;

const GOLDEN = new URL('../../../../test/fixtures/plan/', import.meta.url);
const RELEASE = '6.12.107+deb13-armmp';
/** The newer kernel the security suite has, as trixie-security had 6.12.118 while trixie had 6.12.117. */
const SECURITY_RELEASE = '6.12.108+deb13-armmp';
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bW1veS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw admin@test';

/**
 * Kernel modules for every board's root modules (plain .ko, so that their sizes do not depend on
 * the host's xz), with the dependencies of the real ones: ext4 needs jbd2, usb-storage usbcore,
 * and crc32c is an alias of crc32c_generic.
 */
function kernelModules(release: string): Record<string, Buffer> {
  const module = (path: string, modinfo: string[], padding: number) =>
    [`usr/lib/modules/${release}/kernel/${path}`, Buffer.concat([elfModule(modinfo), Buffer.alloc(padding)])] as const;
  const plain = ['xhci-pci', 'xhci-plat-hcd', 'phy-generic', 'ehci-orion', 'ahci_mvebu', 'sata_mv', 'uas', 'sd_mod', 'virtio_mmio', 'virtio_blk', 'nvme', 'xen-blkfront', 'virtio_scsi', 'ahci'];
  return Object.fromEntries([
    module('fs/ext4/ext4.ko', ['depends=jbd2', 'softdep=pre: crc32c'], 700_000),
    module('fs/jbd2/jbd2.ko', ['depends='], 100_000),
    module('crypto/crc32c_generic.ko', ['alias=crc32c'], 4_000),
    module('drivers/usb/storage/usb-storage.ko', ['depends=usbcore'], 60_000),
    module('drivers/usb/core/usbcore.ko', ['depends='], 250_000),
    ...plain.map((name) => module(`drivers/${name}.ko`, ['depends='], 20_000)),
  ]);
}

/** Publishes a kernel release under `<archive>/dists/<suite>`; -updates and -security have only Packages.xz. */
async function publishRelease(root: string, options: { archive: string; suite: string; release: string; version: string; compression: 'gz' | 'xz' }): Promise<void> {
  const debPath = `pool/main/l/linux/linux-image-${options.release}_${options.version}_armhf.deb`;
  await buildDeb(join(root, `pkg-${options.suite}`), join(root, options.archive, debPath), {
    'DEBIAN/control': Buffer.from(`Package: linux-image-${options.release}\nVersion: ${options.version}\nArchitecture: armhf\nMaintainer: T <t@example.invalid>\nDescription: k\n`),
    [`boot/vmlinuz-${options.release}`]: randomBytes(6_046_208),
    [`usr/lib/linux-image-${options.release}/armada-385-linksys-caiman.dtb`]: randomBytes(20_071),
    [`usr/lib/linux-image-${options.release}/armada-xp-linksys-mamba.dtb`]: randomBytes(19_004),
    ...kernelModules(options.release),
  });
  const size = (await stat(join(root, options.archive, debPath))).size;
  await publishIndex(root, {
    archive: options.archive,
    suite: options.suite,
    arch: 'armhf',
    compression: options.compression,
    index: `Package: linux-image-${options.release}\nVersion: ${options.version}\nFilename: ${debPath}\nSize: ${size}\n\n` +
      `Package: linux-image-armmp\nVersion: ${options.version}\nDepends: linux-image-${options.release} (= ${options.version})\nFilename: pool/x.deb\nSize: 1\n`,
  });
}

/**
 * A trixie armhf archive as a build with updates reads it: trixie with 6.12.107-1 (the real
 * sizes, board/README.md "Boards"), trixie-updates with no kernel, trixie-security with 6.12.108-1.
 */
async function publishKernel(root: string): Promise<void> {
  await publishRelease(root, { archive: 'debian', suite: 'trixie', release: RELEASE, version: '6.12.107-1', compression: 'gz' });
  await publishIndex(root, { suite: 'trixie-updates', arch: 'armhf', index: '', compression: 'xz' });
  await publishRelease(root, { archive: 'debian-security', suite: 'trixie-security', release: SECURITY_RELEASE, version: '6.12.108-1', compression: 'xz' });
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

async function planFor(t: ExecutionContext<Context>, name: string, yaml: string, extraArgs: string[] = [], env = t.context.env) {
  const { dir, mirror } = t.context;
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
  t.regex(result.stdout, /WARNING: the kernel blob \(at most [\d.]+ MiB\) does not fit the 4 MiB read window: pri_kern_size and alt_kern_size must be raised/);
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
  t.deepEqual(plan.budget.parts.slice(0, 2).map((part) => [part.name, part.bytes, part.source]), [['zImage', 6_046_208, 'debian-package'], ['dtb', 20_071, 'debian-package']]);
  t.is(plan.budget.status, 'exceeds-read-window');
  t.deepEqual(plan.budget.readWindow, { bytes: 6 * 1024 * 1024, variables: ['priKernSize', 'altKernSize'], confirmed: true });
  t.deepEqual(plan.steps.map((step) => step.id), ['bootstrap', 'configure', 'assemble', 'kernel-blob', 'rootfs-tar', 'rootfs-ext4', 'usb-image', 'manifest']);
});

// issue 15, bug 3: plan named 6.12.117 from trixie while the build installed 6.12.118 from trixie-security
test('plan names the kernel the build installs: the newest of the suite, -updates and -security', async (t) => {
  const result = await planFor(t, 'caiman-security', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n', ['--json']);
  t.is(result.exitCode, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as Plan;
  t.like(plan.kernel, { package: `linux-image-${SECURITY_RELEASE}`, version: '6.12.108-1', release: SECURITY_RELEASE });
  t.true(plan.steps.find((step) => step.id === 'assemble')!.commands.some((command) => command.argv.join(' ').endsWith(`update-initramfs -c -k ${SECURITY_RELEASE}`)));
});

test('with buildWithUpdates off plan names the suite\'s own kernel', async (t) => {
  const result = await planFor(t, 'caiman-no-updates', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\nbuildWithUpdates: false\n', ['--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.like((JSON.parse(result.stdout) as Plan).kernel, { version: '6.12.107-1', release: RELEASE });
});

// issue 15, bug 3: plan put the initramfs at a 4 MiB "estimate"; the real one was 6,123,054 bytes
test('without a cached initramfs plan bounds it from the modules it will hold and labels it an upper bound', async (t) => {
  const result = await planFor(t, 'caiman-bound', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n', ['--json']);
  t.is(result.exitCode, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as Plan;
  const initramfs = plan.budget.parts.find((part) => part.name === 'initramfs')!;
  t.is(initramfs.source, 'upper-bound');
  t.true(plan.budget.upperBound);
  const modules = plan.kernel.initramfsModules!.modules.map((module) => module.name).sort();
  t.deepEqual(modules, ['ahci_mvebu', 'crc32c_generic', 'ehci_orion', 'ext4', 'jbd2', 'phy_generic', 'sd_mod', 'uas', 'usb_storage', 'usbcore', 'xhci_plat_hcd']);
  const packaged = plan.kernel.initramfsModules!.modules.reduce((sum, module) => sum + module.bytes, 0);
  const allowance = Number(/\+ ([\d,]+) B for busybox, klibc, udev and libraries/.exec(initramfs.note ?? '')?.[1]?.replaceAll(',', ''));
  t.true(allowance > 5_000_000, initramfs.note);
  t.true(initramfs.bytes! > packaged + allowance, 'the modules, their cpio headers and the allowance');
  const text = await planFor(t, 'caiman-bound', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n');
  t.regex(text.stdout, /initramfs +<=[\d,]+ B {2}upper bound: 11 modules/);
  t.regex(text.stdout, /WARNING: the kernel blob \(at most [\d.]+ MiB\)/);
});

test('plan takes the size of the initramfs the cache holds for the same inputs, measured', async (t) => {
  const cache = await mkdtemp(join(t.context.dir, 'cache-'));
  const yaml = 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n';
  const env = { ...t.context.env, XDG_CACHE_HOME: cache };
  const first = JSON.parse((await planFor(t, 'caiman-cached', yaml, ['--json'], env)).stdout) as Plan;
  const cached = /the initramfs is reused from (\S+) when it exists/.exec(first.steps.find((step) => step.id === 'assemble')!.notes.join('\n'))![1]!;
  await mkdir(dirname(cached), { recursive: true });
  await writeFile(cached, Buffer.alloc(6_123_054));
  const result = await planFor(t, 'caiman-cached', yaml, ['--json'], env);
  t.is(result.exitCode, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as Plan;
  t.deepEqual(plan.budget.parts.find((part) => part.name === 'initramfs'), { name: 'initramfs', bytes: 6_123_054, source: 'measured', note: `${cached}, made by an earlier build of these inputs` });
  t.false(plan.budget.upperBound);
  t.is(plan.kernel.initramfsModules, undefined, 'the modules are not read when the initramfs is measured');
});

// issue 15, bug 8: plan showed cache keys on the image steps, which are never looked up in the cache
test('plan shows a cache key only on the steps whose output is cached: the bootstrap and the layer', async (t) => {
  const result = await planFor(t, 'caiman-keys', 'board: wrt1200ac\nmirror: MIRROR\nsecurityMirror: MIRROR-security\n', ['--offline']);
  t.is(result.exitCode, 0, result.stderr);
  const keyed = result.stdout.split('\n').filter((line) => /\[cache [0-9a-f]{12}\]/.test(line)).map((line) => /^ +\d+\. ([\w-]+):/.exec(line)?.[1]);
  t.deepEqual(keyed, ['bootstrap', 'configure']);
  t.regex(result.stdout, /Cache keys:\n {2}base {3}[0-9a-f]{64}\n {2}layer {2}[0-9a-f]{64}\n\n/);
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
