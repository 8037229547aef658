import test from 'ava';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBoard } from '../../board/index.js';
import { hashLayerSources, renderBaseConfig, writeLayer, type BaseConfig, type BaseConfigInput } from '../../rootfs/configure.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** rootfs/files/ of the source tree, seen from dist/test/rootfs/. */
const FILES_DIR = fileURLToPath(new URL('../../../rootfs/files/', import.meta.url));

const ROOT_UUID = '3f1c9a52-7d0e-5b8a-9c4e-2a6b1d0f8e37';

function input(boardId: string, change: Partial<BaseConfigInput> = {}): BaseConfigInput {
  return {
    board: getBoard(boardId),
    hostname: 'gw',
    suite: 'trixie',
    mirror: 'http://mirror.example/debian',
    securityMirror: 'http://mirror.example/debian-security',
    users: [{ name: 'root', authorizedKeys: [{ key: 'ssh-ed25519 AAAAC3Nza root@laptop' }] }],
    network: { lan: { address: '192.168.1.1/24' }, wan: { mode: 'dhcp' }, dns: ['192.0.2.53', '2001:db8::53'] },
    rootUuid: ROOT_UUID,
    ...change,
  };
}

/** The content of the layer file at `path`; fails the test when there is none. */
function contentOf(config: BaseConfig, path: string): string {
  const entry = config.files.find((candidate) => candidate.path === path);
  if (entry?.content === undefined) throw new Error(`the layer has no file with content at ${path}`);
  return entry.content;
}

const paths = (config: BaseConfig) => config.files.map((entry) => entry.path);
const networkPaths = (config: BaseConfig) => paths(config).filter((path) => path.startsWith('/etc/systemd/network/'));

test('the hostname goes to /etc/hostname and to 127.0.1.1 in /etc/hosts', (t) => {
  const config = renderBaseConfig(input('wrt1200ac'));
  t.is(contentOf(config, '/etc/hostname'), 'gw\n');
  t.is(contentOf(config, '/etc/hosts'),
    '127.0.0.1\tlocalhost\n127.0.1.1\tgw\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n');
});

test('a router board bridges its four LAN ports as br0 at the configured address', (t) => {
  const config = renderBaseConfig(input('wrt1200ac'));
  t.deepEqual(networkPaths(config), [
    '/etc/systemd/network/10-br0.netdev',
    '/etc/systemd/network/20-lan-ports.network',
    '/etc/systemd/network/30-br0.network',
    '/etc/systemd/network/40-wan.network',
  ]);
  t.is(contentOf(config, '/etc/systemd/network/10-br0.netdev'), '[NetDev]\nName=br0\nKind=bridge\n');
  t.is(contentOf(config, '/etc/systemd/network/20-lan-ports.network'), '[Match]\nName=lan1 lan2 lan3 lan4\n\n[Network]\nBridge=br0\n');
  t.is(contentOf(config, '/etc/systemd/network/30-br0.network'),
    '[Match]\nName=br0\n\n[Network]\nAddress=192.168.1.1/24\nConfigureWithoutCarrier=yes\n');
});

test('a DHCP WAN asks for IPv4 by DHCP on the wan port and lists the DNS servers', (t) => {
  const config = renderBaseConfig(input('wrt1200ac'));
  t.is(contentOf(config, '/etc/systemd/network/40-wan.network'),
    '[Match]\nName=wan\n\n[Network]\nDHCP=ipv4\nDNS=192.0.2.53\nDNS=2001:db8::53\n');
});

test('a static WAN gets its address and gateway and no DHCP', (t) => {
  const config = renderBaseConfig(input('wrt1200ac', {
    network: { lan: { address: '10.0.0.1/16' }, wan: { mode: 'static', address: '203.0.113.2/24', gateway: '203.0.113.1' }, dns: ['203.0.113.53'] },
  }));
  t.is(contentOf(config, '/etc/systemd/network/40-wan.network'),
    '[Match]\nName=wan\n\n[Network]\nAddress=203.0.113.2/24\nGateway=203.0.113.1\nDNS=203.0.113.53\n');
  t.is(contentOf(config, '/etc/systemd/network/30-br0.network'),
    '[Match]\nName=br0\n\n[Network]\nAddress=10.0.0.1/16\nConfigureWithoutCarrier=yes\n');
});

test('a WAN without DNS servers has no DNS lines', (t) => {
  const config = renderBaseConfig(input('wrt1200ac', { network: { lan: { address: '192.168.1.1/24' }, wan: { mode: 'dhcp' }, dns: [] } }));
  t.is(contentOf(config, '/etc/systemd/network/40-wan.network'), '[Match]\nName=wan\n\n[Network]\nDHCP=ipv4\n');
});

test('mamba (WRT1900AC v1) names its WAN port "internet"', (t) => {
  const config = renderBaseConfig(input('wrt1900ac-v1'));
  t.is(contentOf(config, '/etc/systemd/network/40-wan.network'),
    '[Match]\nName=internet\n\n[Network]\nDHCP=ipv4\nDNS=192.0.2.53\nDNS=2001:db8::53\n');
  t.is(contentOf(config, '/etc/systemd/network/20-lan-ports.network'), '[Match]\nName=lan1 lan2 lan3 lan4\n\n[Network]\nBridge=br0\n');
});

const singleEthernet = test.macro({
  exec(t, boardId: string) {
    const config = renderBaseConfig(input(boardId));
    t.deepEqual(networkPaths(config), ['/etc/systemd/network/10-ethernet.network']);
    t.is(contentOf(config, '/etc/systemd/network/10-ethernet.network'),
      '[Match]\nType=ether\nName=en* eth*\n\n[Network]\nDHCP=yes\nDNS=192.0.2.53\nDNS=2001:db8::53\n');
  },
  title: (_given, boardId: string) => `${boardId} gets one DHCP .network`,
});

test(singleEthernet, 'qemu-armhf');
test(singleEthernet, 'x86-64');

// qemu-armhf's fw_env.config (on its stand-in disk) is in configure-boot-health.test.ts
test('x86-64 gets no fw_env files and no fw-env unit', (t) => {
  const config = renderBaseConfig(input('x86-64'));
  t.false(paths(config).some((path) => path.includes('fw_env') || path.includes('fw-env')));
  t.deepEqual(config.units, ['systemd-networkd.service', 'systemd-resolved.service']);
});

test('fstab mounts the root filesystem by the given UUID', (t) => {
  t.is(contentOf(renderBaseConfig(input('wrt1200ac')), '/etc/fstab'),
    '# <file system> <mount point> <type> <options> <dump> <pass>\n' +
    'UUID=3f1c9a52-7d0e-5b8a-9c4e-2a6b1d0f8e37\t/\text4\terrors=remount-ro,noatime\t0\t1\n');
});

test('apt sources are deb822 stanzas for the suite, its updates and its security updates, each signed by the archive keyring', (t) => {
  t.is(contentOf(renderBaseConfig(input('wrt1200ac')), '/etc/apt/sources.list.d/debian.sources'), [
    'Types: deb',
    'URIs: http://mirror.example/debian',
    'Suites: trixie trixie-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
    'Types: deb',
    'URIs: http://mirror.example/debian-security',
    'Suites: trixie-security',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
  ].join('\n'));
});

test('without a security mirror the apt sources have only the suite and its updates', (t) => {
  t.is(contentOf(renderBaseConfig(input('x86-64', { suite: 'forky', securityMirror: undefined })), '/etc/apt/sources.list.d/debian.sources'),
    'Types: deb\nURIs: http://mirror.example/debian\nSuites: forky forky-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
});

const fwEnv = test.macro({
  exec(t, boardId: string, expected: { config: string; geometry: string }) {
    const config = renderBaseConfig(input(boardId));
    t.is(contentOf(config, '/etc/fw_env.config'), expected.config);
    t.is(contentOf(config, '/etc/mcdebian/fw_env.geometry'), expected.geometry);
    t.deepEqual(config.units, ['systemd-networkd.service', 'systemd-resolved.service', 'mcdebian-fw-env.service', 'mcdebian-boot-health.service']);
    t.deepEqual(
      config.files.filter((entry) => entry.source === 'fw-env-config' || entry.source === 'mcdebian-fw-env.service'),
      [
        { path: '/usr/libexec/mcdebian/fw-env-config', source: 'fw-env-config', mode: 0o755 },
        { path: '/etc/systemd/system/mcdebian-fw-env.service', source: 'mcdebian-fw-env.service', mode: 0o644 },
      ],
    );
  },
  title: (_given, boardId: string) => `${boardId} gets fw_env.config for u_env, its geometry and the unit that fixes the MTD number at boot`,
});

test(fwEnv, 'wrt1200ac', {
  config: '# u_env of Linksys WRT1200AC; rewritten at boot from /proc/mtd\n/dev/mtd1 0x0 0x20000 0x40000\n',
  geometry: 'u_env 0x0 0x20000 0x40000\n',
});
test(fwEnv, 'wrt1900ac-v1', {
  config: '# u_env of Linksys WRT1900AC v1; rewritten at boot from /proc/mtd\n/dev/mtd1 0x0 0x40000 0x20000\n',
  geometry: 'u_env 0x0 0x40000 0x20000\n',
});
test(fwEnv, 'wrt3200acm', {
  config: '# u_env of Linksys WRT3200ACM; rewritten at boot from /proc/mtd\n/dev/mtd1 0x0 0x20000 0x20000\n',
  geometry: 'u_env 0x0 0x20000 0x20000\n',
});

const initramfsModules = test.macro({
  exec(t, boardId: string, expected: string) {
    t.is(contentOf(renderBaseConfig(input(boardId)), '/etc/initramfs-tools/modules'), expected);
  },
  title: (_given, boardId: string) => `the ${boardId} initramfs loads the board's root modules and crc32c`,
});

test(initramfsModules, 'wrt1200ac',
  '# McDebian: what the initramfs needs to reach the root filesystem on Linksys WRT1200AC\n' +
  'phy-generic\nxhci-plat-hcd\nehci-orion\nahci_mvebu\nusb-storage\nuas\nsd_mod\next4\ncrc32c\n');
test(initramfsModules, 'wrt1900ac-v1',
  '# McDebian: what the initramfs needs to reach the root filesystem on Linksys WRT1900AC v1\n' +
  'xhci-pci\nehci-orion\nsata_mv\nusb-storage\nuas\nsd_mod\next4\ncrc32c\n');
test(initramfsModules, 'qemu-armhf',
  '# McDebian: what the initramfs needs to reach the root filesystem on QEMU virt (armhf), the router stand-in\n' +
  'xhci-pci\nusb-storage\nuas\nsd_mod\next4\nvirtio_mmio\nvirtio_blk\ncrc32c\n');
test(initramfsModules, 'x86-64',
  '# McDebian: what the initramfs needs to reach the root filesystem on Generic x86-64 (UEFI, EC2)\n' +
  'nvme\nxen-blkfront\nvirtio_blk\nvirtio_scsi\nahci\nsd_mod\next4\ncrc32c\n');

test('the initramfs lists only its modules, compresses with zstd -19 and finds the root by UUID after up to 30 s', (t) => {
  const config = renderBaseConfig(input('wrt1200ac'));
  t.is(contentOf(config, '/etc/initramfs-tools/conf.d/mcdebian.conf'), 'MODULES=list\nCOMPRESS=zstd\nCOMPRESSLEVEL=19\n');
  t.is(contentOf(config, '/etc/initramfs-tools/mcdebian-root.conf'),
    "MCDEBIAN_ROOT='UUID=3f1c9a52-7d0e-5b8a-9c4e-2a6b1d0f8e37'\nMCDEBIAN_ROOTDELAY='30'\n");
  t.deepEqual(config.files.filter((entry) => entry.path.startsWith('/etc/initramfs-tools/scripts/') || entry.path.startsWith('/etc/initramfs-tools/hooks/')), [
    { path: '/etc/initramfs-tools/scripts/init-top/mcdebian-root', source: 'mcdebian-root', mode: 0o755 },
    { path: '/etc/initramfs-tools/scripts/local-bottom/mcdebian-rootfs-swap', source: 'mcdebian-rootfs-swap', mode: 0o755 },
    { path: '/etc/initramfs-tools/hooks/mcdebian-root', source: 'mcdebian-root-hook', mode: 0o755 },
  ]);
});

test('only boards with kernel slots get the root filesystem swap in their initramfs', (t) => {
  const swap = (board: string) => renderBaseConfig(input(board)).files.some((entry) => entry.path.endsWith('/mcdebian-rootfs-swap'));
  t.true(swap('wrt1200ac'));
  t.true(swap('qemu-armhf'));
  t.false(swap('x86-64'));
});

test('root\'s keys go to /root/.ssh, private to root, and another user\'s to /etc/ssh/authorized_keys/<name>', (t) => {
  const config = renderBaseConfig(input('wrt1200ac', {
    users: [
      { name: 'root', authorizedKeys: [{ key: 'ssh-ed25519 AAAA1 root@laptop' }, { key: 'ssh-rsa AAAA2 root@desk' }] },
      { name: 'ops', authorizedKeys: [{ key: 'ssh-ed25519 AAAA3 ops@laptop' }] },
    ],
  }));
  t.deepEqual(config.files.filter((entry) => entry.path.includes('/.ssh') || entry.path.startsWith('/etc/ssh/authorized_keys/')), [
    { path: '/root/.ssh', mode: 0o700 },
    { path: '/root/.ssh/authorized_keys', content: 'ssh-ed25519 AAAA1 root@laptop\nssh-rsa AAAA2 root@desk\n', mode: 0o600 },
    { path: '/etc/ssh/authorized_keys/ops', content: 'ssh-ed25519 AAAA3 ops@laptop\n', mode: 0o644 },
  ]);
  t.false(config.files.some((entry) => entry.path.startsWith('/home/')), 'useradd makes the homes, from /etc/skel');
});

const serialGetty = test.macro({
  exec(t, boardId: string, device: string) {
    const config = renderBaseConfig(input(boardId));
    t.deepEqual(config.files.filter((entry) => entry.symlink !== undefined), [
      { path: `/etc/systemd/system/getty.target.wants/serial-getty@${device}.service`, symlink: '/usr/lib/systemd/system/serial-getty@.service', mode: 0o777 },
    ]);
  },
  title: (_given, boardId: string, device: string) => `${boardId} enables a serial getty on ${device}`,
});

test(serialGetty, 'wrt1200ac', 'ttyS0');
test(serialGetty, 'qemu-armhf', 'ttyAMA0');
test(serialGetty, 'x86-64', 'ttyS0');

test('SSH is configured from rootfs/files for key-only login', (t) => {
  t.deepEqual(renderBaseConfig(input('x86-64')).files.find((entry) => entry.path === '/etc/ssh/sshd_config.d/mcdebian.conf'),
    { path: '/etc/ssh/sshd_config.d/mcdebian.conf', source: 'sshd-mcdebian.conf', mode: 0o644 });
});

test('every layer entry has an absolute path of its own and exactly one of content, symlink or source, or none for a directory', (t) => {
  for (const boardId of ['wrt1200ac', 'wrt1900ac-v1', 'wrt3200acm', 'qemu-armhf', 'x86-64']) {
    const config = renderBaseConfig(input(boardId));
    t.deepEqual(paths(config), [...new Set(paths(config))], boardId);
    for (const entry of config.files) {
      t.true(entry.path.startsWith('/'), entry.path);
      t.true([entry.content, entry.symlink, entry.source].filter((value) => value !== undefined).length <= 1, entry.path);
    }
  }
});

test('writeLayer writes contents, modes, directories and symlinks under the directory', async (t) => {
  const dir = await makeTempDir(t);
  const config = renderBaseConfig(input('wrt1200ac', {
    users: [
      { name: 'root', authorizedKeys: [{ key: 'ssh-ed25519 AAAA1 root@laptop' }] },
      { name: 'ops', authorizedKeys: [{ key: 'ssh-ed25519 AAAA3 ops@laptop' }] },
    ],
  }));
  await writeLayer(config.files, dir);
  const mode = async (path: string) => (await stat(join(dir, path))).mode & 0o7777;

  t.is(await readFile(join(dir, 'etc/hostname'), 'utf8'), 'gw\n');
  t.is(await mode('/etc/hostname'), 0o644);
  t.is(await readFile(join(dir, 'etc/fw_env.config'), 'utf8'), '# u_env of Linksys WRT1200AC; rewritten at boot from /proc/mtd\n/dev/mtd1 0x0 0x20000 0x40000\n');
  t.true((await stat(join(dir, 'root/.ssh'))).isDirectory());
  t.is(await mode('/root/.ssh'), 0o700);
  t.is(await readFile(join(dir, 'root/.ssh/authorized_keys'), 'utf8'), 'ssh-ed25519 AAAA1 root@laptop\n');
  t.is(await mode('/root/.ssh/authorized_keys'), 0o600);
  t.is(await readFile(join(dir, 'etc/ssh/authorized_keys/ops'), 'utf8'), 'ssh-ed25519 AAAA3 ops@laptop\n');
  t.is(await mode('/etc/ssh/authorized_keys/ops'), 0o644);

  const getty = join(dir, 'etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service');
  t.true((await lstat(getty)).isSymbolicLink());
  t.is(await readlink(getty), '/usr/lib/systemd/system/serial-getty@.service');
});

test('writeLayer copies files from rootfs/files with the layer\'s modes', async (t) => {
  const dir = await makeTempDir(t);
  await writeLayer(renderBaseConfig(input('wrt1200ac')).files, dir);
  const sshd = await readFile(join(dir, 'etc/ssh/sshd_config.d/mcdebian.conf'), 'utf8');
  t.true(sshd.includes('PasswordAuthentication no\n'));
  t.is(sshd, await readFile(join(FILES_DIR, 'sshd-mcdebian.conf'), 'utf8'));
  t.is((await stat(join(dir, 'etc/ssh/sshd_config.d/mcdebian.conf'))).mode & 0o7777, 0o644);
  for (const path of ['usr/libexec/mcdebian/fw-env-config', 'etc/initramfs-tools/scripts/init-top/mcdebian-root', 'etc/initramfs-tools/hooks/mcdebian-root']) {
    t.is((await stat(join(dir, path))).mode & 0o7777, 0o755, path);
  }
  t.is(await readFile(join(dir, 'etc/initramfs-tools/hooks/mcdebian-root'), 'utf8'), await readFile(join(FILES_DIR, 'mcdebian-root-hook'), 'utf8'));
});

test('writeLayer writes exactly the files of the layer and the directories leading to them', async (t) => {
  const dir = await makeTempDir(t);
  await writeLayer([
    { path: '/etc/a.conf', content: 'a\n', mode: 0o640 },
    { path: '/var/lib/empty', mode: 0o750 },
    { path: '/etc/link', symlink: 'a.conf', mode: 0o777 },
  ], dir);
  t.deepEqual((await readdir(dir, { recursive: true })).sort(), ['etc', 'etc/a.conf', 'etc/link', 'var', 'var/lib', 'var/lib/empty']);
  t.is((await stat(join(dir, 'etc/a.conf'))).mode & 0o7777, 0o640);
  t.is((await stat(join(dir, 'var/lib/empty'))).mode & 0o7777, 0o750);
  t.is(await readFile(join(dir, 'etc/link'), 'utf8'), 'a\n');
});

// assemble.ts copies the layer with `cp --archive layer/. rootfs/`, which gives every directory
// of the layer's mode to the same directory of the base: /root, made here only as the parent of
// /root/.ssh, must keep Debian's 0700.
test('the layer keeps root\'s home private, as Debian makes it', async (t) => {
  const dir = await makeTempDir(t);
  await writeLayer(renderBaseConfig(input('wrt1200ac')).files, dir);
  t.is(((await stat(join(dir, 'root'))).mode & 0o7777).toString(8), '700');
});

test('the hash of rootfs/files is a sha256 that does not change between calls', async (t) => {
  const first = await hashLayerSources();
  t.regex(first, /^[0-9a-f]{64}$/);
  t.is(await hashLayerSources(), first);
});
