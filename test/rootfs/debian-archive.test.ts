import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { CommandError, UserError } from '../../build/core/errors.js';
import { readHostMirrors } from '../../rootfs/apt-sources.js';
import { fetchKernelPackageInfo, parsePackagesIndex, type KernelPackageInfo } from '../../rootfs/debian-archive.js';
import { realMirrorUnavailable } from '../helpers/real-mirror.js';
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

// Probed before any test is declared, since ava starts running on the tick after the first declaration.
// In CI the mirror must be reachable: the test then runs, and fails if it is not.
const unavailable = await realMirrorUnavailable();

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

const query = (mirror: string) => ({ mirror, suite: 'trixie', arch: 'armhf', metaPackage: 'linux-image-armmp', dtbFiles: WANTED });

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
  t.regex(error?.message ?? '', /linux-image-nosuch is not in http:\/\/127\.0\.0\.1:\d+\/debian\/dists\/trixie\/main\/binary-armhf\/Packages\.gz/);
});

test('an HTTP 404 fails with an error naming the URL and the status', async (t) => {
  const error = await t.throwsAsync(fetchKernelPackageInfo({ ...query(t.context.mirror.url), suite: 'nosuch' }), { instanceOf: UserError });
  t.regex(error?.message ?? '', /\/debian\/dists\/nosuch\/main\/binary-armhf\/Packages\.gz: HTTP 404/);
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
    assertKernelFacts(t, await fetchKernelPackageInfo({ ...query(t.context.mirror.url), suite }));
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
  const error = await t.throwsAsync(fetchKernelPackageInfo({ ...query(t.context.mirror.url), suite }), { instanceOf: CommandError });
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
  t.is(error?.message, 'xz not found, needed to unpack the kernel package');
  t.is(error?.hint, 'apt-get install xz-utils');
});

/** Why the real-mirror test cannot run here, or undefined when it can. */
const realMirrorTest = unavailable === undefined ? test : test.skip;
realMirrorTest(`the host's Debian mirror serves a trixie armhf kernel with both Linksys DTBs${unavailable ? ` (skipped: ${unavailable})` : ''}`, async (t) => {
  const { mirror } = await readHostMirrors();
  t.truthy(mirror, 'the host apt sources name a Debian mirror');
  const info = await fetchKernelPackageInfo({ ...query(mirror ?? ''), timeoutMs: 120_000 });
  t.log(`${info.package} ${info.version}: zImage ${info.zImage.size} bytes`);
  t.true(info.zImage.size > 5_000_000);
  t.deepEqual(info.missingDtbs, []);
  for (const name of WANTED) t.is(info.dtbs[name]?.data.readUInt32BE(0), 0xd00dfeed, `${name} starts with the FDT magic`);
});
