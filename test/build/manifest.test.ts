import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../build/config/load.js';
import { createBuildContext } from '../../build/core/context.js';
import { silentLogger } from '../../build/core/log.js';
import { listArtifacts, parseDpkgStatus, sha256File, type Manifest } from '../../build/manifest.js';
import { planBuild } from '../../build/pipeline.js';
import { makeTempDir, writeFiles } from '../helpers/temp-dir.js';

/** Stanzas as dpkg writes them to /var/lib/dpkg/status on an armhf trixie image, out of name order. */
const DPKG_STATUS = `Package: zstd
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 1768
Maintainer: Debian zstd Maintainers <pkg-zstd-maint@lists.alioth.debian.org>
Architecture: armhf
Multi-Arch: foreign
Source: libzstd
Version: 1.5.7+dfsg-1
Depends: libc6 (>= 2.34), libgcc-s1 (>= 3.5), liblz4-1 (>= 0.0~r127), liblzma5 (>= 5.1.1alpha+20120614), libstdc++6 (>= 13.1), zlib1g (>= 1:1.1.4)
Description: fast lossless compression algorithm -- CLI tool
 Zstd, short for Zstandard, is a fast lossless compression algorithm, targeting
 real-time compression scenarios at zlib-level compression ratio.
 .
 This package contains the CLI program implementing zstd.
Homepage: https://github.com/facebook/zstd

Package: debian-archive-keyring
Status: install ok installed
Priority: important
Section: misc
Installed-Size: 289
Maintainer: Debian Release Team <packages@release.debian.org>
Architecture: all
Multi-Arch: foreign
Version: 2025.1
Conffiles:
 /etc/apt/trusted.gpg.d/debian-archive-bookworm-automatic.asc 1e0a0a4e6a7f1e4e5d0a5b2c3f1e6d7a
 /etc/apt/trusted.gpg.d/debian-archive-trixie-automatic.asc 5a2b1c3d4e5f6a7b8c9d0e1f2a3b4c5d
Description: OpenPGP archive certificates of the Debian archive
 The Debian project digitally signs its Release files. This package
 contains the archive certificates used for that.

Package: isc-dhcp-client
Status: deinstall ok config-files
Priority: important
Section: net
Installed-Size: 0
Maintainer: Debian ISC DHCP Maintainers <isc-dhcp@packages.debian.org>
Architecture: armhf
Source: isc-dhcp
Version: 4.4.3-P1-8
Config-Version: 4.4.3-P1-8
Conffiles:
 /etc/dhcp/dhclient.conf 3a4e5c7b1d2f9e8a0b6c4d2e1f3a5b7c
Description: DHCP client for automatically obtaining an IP address
 This is the Internet Software Consortium's DHCP client.

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 10544
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: armhf
Multi-Arch: same
Source: glibc
Version: 2.41-12
Replaces: libc6-armhf-cross
Breaks: aide (<< 0.17.3-4+b3), busybox (<< 1.30.1-6)
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system. This package includes shared versions of the standard C library
 and the standard math library, as well as many others.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: linux-image-6.12.48+deb13-armmp
Status: install ok installed
Priority: optional
Section: kernel
Installed-Size: 277421
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: armhf
Source: linux-signed-armhf (6.12.48+1)
Version: 6.12.48-1
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
Description: Linux 6.12 for ARMv7 multiplatform compatible SoCs
 The Linux kernel 6.12 and modules for use on ARMv7 kernel on most
 multiplatform compatible SoCs.
`;

test('the manifest lists the installed packages of a dpkg status by name, without removed packages that left config files', (t) => {
  t.deepEqual(parseDpkgStatus(DPKG_STATUS), [
    { name: 'debian-archive-keyring', version: '2025.1', architecture: 'all' },
    { name: 'libc6', version: '2.41-12', architecture: 'armhf' },
    { name: 'linux-image-6.12.48+deb13-armmp', version: '6.12.48-1', architecture: 'armhf' },
    { name: 'zstd', version: '1.5.7+dfsg-1', architecture: 'armhf' },
  ]);
});

test('an empty dpkg status lists no packages', (t) => {
  t.deepEqual(parseDpkgStatus(''), []);
});

test('Config-Version and description lines do not stand in for a package\'s Version', (t) => {
  t.deepEqual(parseDpkgStatus([
    'Package: ifupdown',
    'Status: install ok installed',
    'Architecture: armhf',
    'Config-Version: 0.8.40',
    'Description: high level tools to configure network interfaces',
    ' Version: 9.9 is mentioned in this description line.',
    'Version: 0.8.44',
    '',
  ].join('\n')), [{ name: 'ifupdown', version: '0.8.44', architecture: 'armhf' }]);
});

// `apt-mark hold` changes only the first word of Status ("want"); the package stays installed
// (dpkg-query(1), "Status" and deb-status(5)).
test('a package held with apt-mark is still listed as installed', (t) => {
  t.deepEqual(parseDpkgStatus('Package: linux-image-armmp\nStatus: hold ok installed\nArchitecture: armhf\nVersion: 6.12.48-1\n'), [
    { name: 'linux-image-armmp', version: '6.12.48-1', architecture: 'armhf' },
  ]);
});

test('sha256File hashes a file\'s bytes', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, 'kernel.uimg'), 'abc');
  t.is(await sha256File(join(dir, 'kernel.uimg')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('the artifacts are every file but build.log and manifest.json, overlay outputs in their folders, sorted by path, with size and sha256', async (t) => {
  const dir = await makeTempDir(t);
  const big = Buffer.alloc(3 * 65536 + 17, 0x5a);
  await writeFiles(dir, { 'usb.img': 'usb', 'build.log': 'log', 'manifest.json': '{}', 'kernel.uimg': 'kernel blob', 'rootfs.ext4': '', 'callhome/authorized_keys': 'k' });
  await writeFile(join(dir, 'rootfs.tar'), big);
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  t.deepEqual(await listArtifacts(dir), [
    { name: 'callhome/authorized_keys', size: 1, sha256: sha256('k') },
    { name: 'kernel.uimg', size: 11, sha256: sha256('kernel blob') },
    { name: 'rootfs.ext4', size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    { name: 'rootfs.tar', size: 196625, sha256: sha256(big) },
    { name: 'usb.img', size: 3, sha256: sha256('usb') },
  ]);
});

test('the manifest lists each overlay with the units it enables and the files it put in, secrets by path and mode only', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, {
    'hq.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n',
    'mcdebian.yaml': 'board: wrt1200ac\nhostname: gw1\noverlays:\n  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }\n',
  });
  const config = await loadConfig({ file: join(dir, 'mcdebian.yaml'), generateSecrets: true });
  const plan = planBuild({
    config, mirror: 'http://mirror.example/debian', mirrorSource: 'test', bootstrapper: 'mmdebstrap', toolVersions: {},
    kernel: { lookup: 'offline', parts: [] }, cacheDir: join(dir, 'cache'), layerSourcesHash: 'sources-v1',
  });
  await writeFiles(plan.paths.rootfs, { 'var/lib/dpkg/status': '' });
  await mkdir(plan.paths.staging, { recursive: true });
  const handle = createBuildContext({ logger: silentLogger, logFile: join(dir, 'build.log'), signal: new AbortController().signal });
  await plan.steps.find((step) => step.id === 'manifest')!.run(handle.context).finally(() => handle.close());

  const manifest = JSON.parse(await readFile(join(plan.paths.out, 'manifest.json'), 'utf8')) as Manifest;
  const [callhome, ...others] = manifest.overlays ?? [];
  t.is(others.length, 0);
  t.is(callhome?.name, 'callhome');
  t.deepEqual(callhome?.units, ['mcdebian-callhome.service']);
  const files = Object.fromEntries(callhome!.files.map((file) => [file.path, file]));
  t.deepEqual(files['/etc/systemd/system/mcdebian-callhome.service'], { path: '/etc/systemd/system/mcdebian-callhome.service', mode: '0644' });
  const secrets = callhome!.files.filter((file) => file.secret);
  t.deepEqual(secrets.map((file) => file.path), manifest.secrets.map((secret) => secret.path));
  t.true(secrets.every((file) => Object.keys(file).sort().join() === 'mode,path,secret'), 'a secret has a path and a mode, nothing of its content');
  t.false(JSON.stringify(manifest).includes('PRIVATE KEY'));
});
