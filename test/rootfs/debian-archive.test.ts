import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { CommandError, UserError } from '../../build/core/errors.js';
import { buildSuites, fetchKernelPackageInfo, parsePackagesIndex, type KernelPackageInfo } from '../../rootfs/debian-archive.js';
import { elfModule, xzModule } from '../helpers/kernel-module.js';
import { buildDeb, publishIndex, serveMirror, stopMirror, type FakeMirror } from '../helpers/fake-mirror.js';

const test = anyTest as TestFn<{ mirror: FakeMirror; debSize: number }>;

const DEB_PATH = 'pool/main/l/linux/linux-image-9.9.9-test_9.9.9-1_armhf.deb';
// An odd size, so that tar's padding to 512 bytes is exercised on the way to the DTBs.
const ZIMAGE_SIZE = 6_046_209;
const CAIMAN = Buffer.concat([Buffer.from('d00dfeed', 'hex'), randomBytes(20_067)]);
const MAMBA = Buffer.concat([Buffer.from('d00dfeed', 'hex'), randomBytes(19_000)]);
const WANTED = ['armada-385-linksys-caiman.dtb', 'armada-xp-linksys-mamba.dtb'];

/** Builds a kernel .deb laid out like Debian's, with a big incompressible modules file after the DTBs. */
async function buildKernelDeb(workDir: string, output: string, options: { compression: string; modulesBytes: number }): Promise<void> {
  const root = await mkdtemp(join(workDir, 'pkg-'));
  const files: Record<string, Buffer> = {
    'DEBIAN/control': Buffer.from('Package: linux-image-9.9.9-test\nVersion: 9.9.9-1\nArchitecture: armhf\nMaintainer: Test <test@example.invalid>\nDescription: test kernel\n'),
    'boot/System.map-9.9.9-test': Buffer.from('ffffffff T _stext\n'),
    'boot/vmlinuz-9.9.9-test': randomBytes(ZIMAGE_SIZE),
    'usr/lib/linux-image-9.9.9-test/am335x-bone.dtb': Buffer.from('d00dfeed00', 'hex'),
    'usr/lib/linux-image-9.9.9-test/armada-385-linksys-caiman.dtb': CAIMAN,
    'usr/lib/linux-image-9.9.9-test/marvell/armada-xp-linksys-mamba.dtb': MAMBA,
    'usr/lib/modules/9.9.9-test/kernel/big.ko': randomBytes(options.modulesBytes),
  };
  await buildDeb(root, output, files, options.compression);
}

function packagesIndex(debSize: number, debPath = DEB_PATH): string {
  return `Package: hello
Version: 2.10-3
Architecture: armhf
Description: example package based on GNU hello
 The GNU hello program produces a familiar, friendly greeting.
 .
 It allows non-programmers to use a classic Unix application.
Filename: pool/main/h/hello/hello_2.10-3_armhf.deb

Package: linux-image-9.9.9-test
Version: 9.9.8-1
Filename: pool/main/l/linux/linux-image-9.9.9-test_9.9.8-1_armhf.deb
Size: 1

Package: linux-image-armmp
Version: 9.9.9-1
Depends: linux-image-9.9.9-test (= 9.9.9-1)
Filename: pool/main/l/linux/linux-image-armmp_9.9.9-1_armhf.deb
Size: 1492

Package: linux-image-9.9.9-test
Version: 9.9.9-1
Depends: kmod, initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
Filename: ${debPath}
Size: ${debSize}
SHA256: 0000000000000000000000000000000000000000000000000000000000000000
`;
}

async function childProcessNames(): Promise<string[]> {
  const names: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
    if (match && Number(match[2]) === process.pid) names.push(match[1] ?? '');
  }
  return names;
}

test.before(async (t) => {
  const workDir = await mkdtemp(join(tmpdir(), 'debian-archive-'));
  const root = join(workDir, 'www');
  const deb = join(root, 'debian', DEB_PATH);
  await buildKernelDeb(workDir, deb, { compression: 'xz', modulesBytes: 30_000_000 });
  const debSize = (await stat(deb)).size;
  await publishSuite(root, 'trixie', DEB_PATH);
  t.context = { mirror: await serveMirror(root), debSize };
});

/** Writes the Packages.gz of `suite` under the mirror root, naming the .deb at `debPath`. */
async function publishSuite(root: string, suite: string, debPath: string): Promise<void> {
  const debSize = (await stat(join(root, 'debian', debPath))).size;
  await publishIndex(root, { suite, arch: 'armhf', index: packagesIndex(debSize, debPath) });
}

/** Publishes a small kernel .deb (no big modules file) as its own suite; returns the suite name. */
async function publishSmallDeb(mirror: FakeMirror, compression: string, change?: (deb: Buffer) => Buffer): Promise<string> {
  const suite = `test-${compression}-${randomBytes(4).toString('hex')}`;
  const debPath = `pool/main/l/linux/${suite}.deb`;
  const deb = join(mirror.root, 'debian', debPath);
  await buildKernelDeb(dirname(mirror.root), deb, { compression, modulesBytes: 1000 });
  if (change) await writeFile(deb, change(await readFile(deb)));
  await publishSuite(mirror.root, suite, debPath);
  return suite;
}

test.after.always(async (t) => {
  await stopMirror(t.context.mirror);
  await rm(dirname(t.context.mirror.root), { recursive: true, force: true });
});

function assertKernelFacts(t: ExecutionContext, info: KernelPackageInfo): void {
  t.deepEqual(info.zImage, { path: '/boot/vmlinuz-9.9.9-test', size: ZIMAGE_SIZE });
  t.deepEqual(info.dtbs['armada-385-linksys-caiman.dtb'], { path: '/usr/lib/linux-image-9.9.9-test/armada-385-linksys-caiman.dtb', size: CAIMAN.length, data: CAIMAN });
  t.deepEqual(info.dtbs['armada-xp-linksys-mamba.dtb'], { path: '/usr/lib/linux-image-9.9.9-test/marvell/armada-xp-linksys-mamba.dtb', size: MAMBA.length, data: MAMBA });
  t.deepEqual(info.missingDtbs, []);
}

const query = (mirror: string, suite = 'trixie') => ({ suites: [{ mirror, suite }], arch: 'armhf', metaPackage: 'linux-image-armmp', dtbFiles: WANTED });

test('a Packages index is grouped by package, with continuation lines joined', (t) => {
  const index = parsePackagesIndex(packagesIndex(123));
  t.deepEqual([...index.keys()], ['hello', 'linux-image-9.9.9-test', 'linux-image-armmp']);
  t.is(index.get('linux-image-9.9.9-test')?.length, 2);
  t.is(index.get('hello')?.[0]?.Description, 'example package based on GNU hello\nThe GNU hello program produces a familiar, friendly greeting.\n.\nIt allows non-programmers to use a classic Unix application.');
  t.is(index.get('linux-image-9.9.9-test')?.[1]?.Size, '123');
});

test('a Packages index keeps only the stanzas asked for', (t) => {
  const index = parsePackagesIndex(packagesIndex(123), (name) => name.startsWith('linux-image-'));
  t.deepEqual([...index.keys()], ['linux-image-9.9.9-test', 'linux-image-armmp']);
});

test.serial('the kernel facts are read from a prefix of the .deb, and the download stops there', async (t) => {
  const { mirror, debSize } = t.context;
  const info = await fetchKernelPackageInfo(query(mirror.url));

  t.like(info, { metaPackage: 'linux-image-armmp', package: 'linux-image-9.9.9-test', version: '9.9.9-1', filename: DEB_PATH, debSize });
  assertKernelFacts(t, info);

  const served = mirror.requests.find((request) => request.path === `/debian/${DEB_PATH}`);
  await served?.closed;
  t.false(served?.completed, 'the response was closed before the whole package was sent');
  t.true((served?.bytes ?? debSize) < debSize / 2, `sent ${served?.bytes} of ${debSize} bytes`);
  t.false((await childProcessNames()).includes('xz'), 'no xz process is left running');
});

test('a wanted DTB the package lacks is listed as missing once the DTB folder has been passed', async (t) => {
  const info = await fetchKernelPackageInfo({ ...query(t.context.mirror.url), dtbFiles: [...WANTED, 'armada-388-clearfog.dtb'] });
  t.deepEqual(info.missingDtbs, ['armada-388-clearfog.dtb']);
  t.deepEqual(Object.keys(info.dtbs), WANTED);
});

test.serial('a connection dropped in the middle of the .deb fails with a download error and leaves no xz behind', async (t) => {
  const error = await t.throwsAsync(fetchKernelPackageInfo(query(`${t.context.mirror.url}/truncate`)), { instanceOf: UserError });
  t.regex(error?.message ?? '', /^cannot download http:\/\/127\.0\.0\.1:\d+\/debian\/truncate\/pool\/.*\.deb: terminated/);
  t.false((await childProcessNames()).includes('xz'), 'no xz process is left running');
});

test('a meta package that is not in the index fails with an error naming it', async (t) => {
  const error = await t.throwsAsync(fetchKernelPackageInfo({ ...query(t.context.mirror.url), metaPackage: 'linux-image-nosuch' }), { instanceOf: UserError });
  t.regex(error?.message ?? '', /^package linux-image-nosuch is not in trixie \(http:\/\/127\.0\.0\.1:\d+\/debian\)$/);
});

test('a suite with neither index fails with an error naming both URLs and the status', async (t) => {
  const error = await t.throwsAsync(fetchKernelPackageInfo(query(t.context.mirror.url, 'nosuch')), { instanceOf: UserError });
  t.regex(error?.message ?? '', /has no nosuch index for armhf: \S+\/debian\/dists\/nosuch\/main\/binary-armhf\/Packages\.xz and \S+\/Packages\.gz answer HTTP 404/);
  t.regex(error?.hint ?? '', /mirror:.*--offline/);
});

test('a mirror nobody listens on fails with an error giving the connection error', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const error = await t.throwsAsync(fetchKernelPackageInfo(query(`http://127.0.0.1:${port}/debian`)), { instanceOf: UserError });
  t.regex(error?.message ?? '', /cannot download http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED/);
});

test('a mirror that does not answer in time fails with a timeout error', async (t) => {
  const error = await t.throwsAsync(fetchKernelPackageInfo({ ...query(`${t.context.mirror.url}/hang`), timeoutMs: 300 }), { instanceOf: UserError });
  t.regex(error?.message ?? '', /\/hang\/dists\/trixie\/.*no complete answer within 0\.3 s/);
});

const readsDataCompressedWith = test.macro({
  async exec(t, compression: string) {
    const suite = await publishSmallDeb(t.context.mirror, compression);
    assertKernelFacts(t, await fetchKernelPackageInfo(query(t.context.mirror.url, suite)));
  },
  title: (_, compression: string) => `a .deb whose data.tar is compressed with ${compression} is read too`,
});
for (const compression of ['zstd', 'gzip', 'none']) test(readsDataCompressedWith, compression);

test('a corrupt data.tar.xz fails with the xz command and its complaint', async (t) => {
  const garble = (deb: Buffer): Buffer => {
    const data = deb.indexOf('data.tar.xz') + 60;
    return Buffer.concat([deb.subarray(0, data), Buffer.from('not xz at all'), deb.subarray(data + 13)]);
  };
  const suite = await publishSmallDeb(t.context.mirror, 'xz', garble);
  const error = await t.throwsAsync(fetchKernelPackageInfo(query(t.context.mirror.url, suite)), { instanceOf: CommandError });
  t.regex(error?.message ?? '', /^command xz --decompress --stdout exited with code 1\n.*format not recognized/s);
});

test.serial('a host without xz is told to install xz-utils', async (t) => {
  const emptyDir = await mkdtemp(join(tmpdir(), 'no-xz-'));
  const path = process.env.PATH;
  process.env.PATH = emptyDir;
  t.teardown(async () => {
    process.env.PATH = path;
    await rm(emptyDir, { recursive: true });
  });
  const error = await t.throwsAsync(fetchKernelPackageInfo(query(t.context.mirror.url)), { instanceOf: UserError });
  t.is(error?.message, 'xz not found, needed to read the Debian archive');
  t.is(error?.hint, 'apt-get install xz-utils');
});

test('a build with updates installs from the suite, -updates and, with a security mirror, -security; without, from the suite alone', (t) => {
  const mirrors = { mirror: 'http://deb.example/debian', securityMirror: 'http://deb.example/debian-security', suite: 'trixie' };
  t.deepEqual(buildSuites({ ...mirrors, withUpdates: true }), [
    { mirror: 'http://deb.example/debian', suite: 'trixie' },
    { mirror: 'http://deb.example/debian', suite: 'trixie-updates' },
    { mirror: 'http://deb.example/debian-security', suite: 'trixie-security' },
  ]);
  t.deepEqual(buildSuites({ ...mirrors, securityMirror: undefined, withUpdates: true }).map((s) => s.suite), ['trixie', 'trixie-updates']);
  t.deepEqual(buildSuites({ ...mirrors, withUpdates: false }).map((s) => s.suite), ['trixie']);
});

interface Release {
  /** Archive folder under the mirror root: `debian` or `debian-security`. */
  archive: string;
  suite: string;
  /** `9.9.10-test`: the package is linux-image-<release>. */
  release: string;
  version: string;
  modules?: Record<string, Buffer>;
}

/** Publishes a kernel release as its own suite's only kernel (Packages.xz, as -security has), with the meta package pointing at it. */
async function publishRelease(mirror: FakeMirror, release: Release): Promise<void> {
  const debPath = `pool/updates/main/l/linux/linux-image-${release.release}_${release.version}_armhf.deb`;
  const deb = join(mirror.root, release.archive, debPath);
  const files: Record<string, Buffer> = {
    'DEBIAN/control': Buffer.from(`Package: linux-image-${release.release}\nVersion: ${release.version}\nArchitecture: armhf\nMaintainer: Test <test@example.invalid>\nDescription: test kernel\n`),
    [`boot/vmlinuz-${release.release}`]: randomBytes(1000),
    [`usr/lib/linux-image-${release.release}/armada-385-linksys-caiman.dtb`]: CAIMAN,
    ...Object.fromEntries(Object.entries(release.modules ?? {}).map(([path, data]) => [`usr/lib/modules/${release.release}/${path}`, data])),
  };
  await buildDeb(await mkdtemp(join(dirname(mirror.root), 'pkg-')), deb, files);
  const size = (await stat(deb)).size;
  await publishIndex(mirror.root, {
    archive: release.archive, suite: release.suite, arch: 'armhf', compression: 'xz',
    index: `Package: linux-image-armmp\nVersion: ${release.version}\nDepends: linux-image-${release.release} (= ${release.version})\nFilename: pool/x.deb\nSize: 1\n\n` +
      `Package: linux-image-${release.release}\nVersion: ${release.version}\nFilename: ${debPath}\nSize: ${size}\n`,
  });
}

/** trixie-like suites: the suite with 9.9.9-1, -updates with an older 9.9.8-1, -security with 9.9.10-1 (newer, though "9.9.10" < "9.9.9" as text). */
async function publishSuites(mirror: FakeMirror): Promise<{ suite: string; securityMirror: string }> {
  const suite = `sec-${randomBytes(4).toString('hex')}`;
  await publishRelease(mirror, { archive: 'debian', suite, release: '9.9.9-test', version: '9.9.9-1' });
  await publishRelease(mirror, { archive: 'debian', suite: `${suite}-updates`, release: '9.9.8-test', version: '9.9.8-1' });
  await publishRelease(mirror, { archive: 'debian-security', suite: `${suite}-security`, release: '9.9.10-test', version: '9.9.10-1' });
  return { suite, securityMirror: `${mirror.url}-security` };
}

test('the newest kernel of the suites a build installs from is named, and read from the security mirror it comes from', async (t) => {
  const { mirror } = t.context;
  const { suite, securityMirror } = await publishSuites(mirror);
  const info = await fetchKernelPackageInfo({ ...query(mirror.url), suites: buildSuites({ mirror: mirror.url, securityMirror, suite, withUpdates: true }) });
  t.like(info, { package: 'linux-image-9.9.10-test', version: '9.9.10-1', suite: { mirror: securityMirror, suite: `${suite}-security` } });
  t.is(info.zImage.path, '/boot/vmlinuz-9.9.10-test');
  t.true(mirror.requests.some((request) => request.path === '/debian-security/pool/updates/main/l/linux/linux-image-9.9.10-test_9.9.10-1_armhf.deb'));
});

test('with buildWithUpdates off the suite\'s own kernel is named', async (t) => {
  const { mirror } = t.context;
  const { suite, securityMirror } = await publishSuites(mirror);
  const info = await fetchKernelPackageInfo({ ...query(mirror.url), suites: buildSuites({ mirror: mirror.url, securityMirror, suite, withUpdates: false }) });
  t.like(info, { package: 'linux-image-9.9.9-test', version: '9.9.9-1', suite: { suite } });
});

test('an older kernel in -updates does not replace the suite\'s', async (t) => {
  const { mirror } = t.context;
  const { suite } = await publishSuites(mirror);
  const info = await fetchKernelPackageInfo({ ...query(mirror.url), suites: buildSuites({ mirror: mirror.url, suite, withUpdates: true }) });
  t.like(info, { package: 'linux-image-9.9.9-test', suite: { suite } });
});

test('the modules an initramfs lists are read from the whole package with what they depend on, at their packaged sizes', async (t) => {
  const { mirror } = t.context;
  const suite = `mod-${randomBytes(4).toString('hex')}`;
  const modules = {
    'kernel/fs/ext4/ext4.ko.xz': await xzModule(elfModule(['name=ext4', 'depends=jbd2', 'softdep=pre: crc32c'])),
    'kernel/fs/jbd2/jbd2.ko.xz': await xzModule(elfModule(['name=jbd2', 'depends='])),
    'kernel/crypto/crc32c_generic.ko.xz': await xzModule(elfModule(['name=crc32c_generic', 'alias=crc32c', 'alias=crypto-crc32c'])),
    'kernel/drivers/net/big.ko.xz': await xzModule(elfModule(['name=big', 'alias=crc32'])),
    'modules.builtin': Buffer.from('kernel/drivers/virtio/virtio.ko\n'),
  };
  await publishRelease(mirror, { archive: 'debian', suite, release: '9.9.11-test', version: '9.9.11-1', modules });
  const info = await fetchKernelPackageInfo({ ...query(mirror.url, suite), initramfsModules: ['ext4', 'virtio', 'nosuch'] });
  const path = (name: string) => `/usr/lib/modules/9.9.11-test/${name}`;
  t.deepEqual(info.initramfsModules, {
    modules: [
      { name: 'crc32c_generic', path: path('kernel/crypto/crc32c_generic.ko.xz'), bytes: modules['kernel/crypto/crc32c_generic.ko.xz'].length },
      { name: 'ext4', path: path('kernel/fs/ext4/ext4.ko.xz'), bytes: modules['kernel/fs/ext4/ext4.ko.xz'].length },
      { name: 'jbd2', path: path('kernel/fs/jbd2/jbd2.ko.xz'), bytes: modules['kernel/fs/jbd2/jbd2.ko.xz'].length },
    ],
    builtin: ['virtio'],
    missing: ['nosuch'],
  });
  t.is(info.zImage.path, '/boot/vmlinuz-9.9.11-test', 'the boot files are read on the way');
});
