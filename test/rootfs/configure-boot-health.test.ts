/**
 * The base layer's boot-counter files (renderBaseConfig): the scripts, the unit and its place in
 * the boot (systemd-analyze verify), bootcount.conf, and fw_env.config on the QEMU stand-in.
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBoard } from '../../board/index.js';
import { renderBaseConfig, writeLayer, type BaseConfig, type BaseConfigInput } from '../../rootfs/configure.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testWithTools } from '../helpers/tools.js';

const FILES_DIR = fileURLToPath(new URL('../../../rootfs/files/', import.meta.url));
const UNIT = '/etc/systemd/system/mcdebian-boot-health.service';

function render(boardId: string): BaseConfig {
  const input: BaseConfigInput = {
    board: getBoard(boardId),
    hostname: 'gw',
    suite: 'trixie',
    mirror: 'http://mirror.example/debian',
    users: [{ name: 'root', authorizedKeys: [{ key: 'ssh-ed25519 AAAAC3Nza root@laptop' }] }],
    network: { lan: { address: '192.168.1.1/24' }, wan: { mode: 'dhcp' }, dns: [] },
    rootUuid: '3f1c9a52-7d0e-5b8a-9c4e-2a6b1d0f8e37',
  };
  return renderBaseConfig(input);
}

const entry = (config: BaseConfig, path: string) => config.files.find((candidate) => candidate.path === path);

const bootHealthFiles = (name: string) => [
  { path: '/usr/sbin/mcdebian-bootcount', source: 'mcdebian-bootcount', mode: 0o755 },
  { path: '/usr/libexec/mcdebian/boot-health', source: 'mcdebian-boot-health', mode: 0o755 },
  { path: UNIT, source: 'mcdebian-boot-health.service', mode: 0o644 },
  { path: '/etc/mcdebian/bootcount.conf', content: `# the s_env boot counter of ${name}, for mcdebian-bootcount\npartition=s_env\nstride=2048\n`, mode: 0o644 },
  { path: '/etc/mcdebian/health.d', mode: 0o755 },
];
const isBootHealthFile = (path: string) => path.includes('bootcount') || path.includes('boot-health') || path.includes('health.d');

test('wrt1200ac gets the boot counter tools, the health unit enabled, and its MTD fw_env as before', (t) => {
  const config = render('wrt1200ac');
  t.deepEqual(config.files.filter((file) => isBootHealthFile(file.path)), bootHealthFiles('Linksys WRT1200AC'));
  t.deepEqual(config.units, ['systemd-networkd.service', 'systemd-resolved.service', 'mcdebian-fw-env.service', 'mcdebian-boot-health.service']);
  t.is(entry(config, '/etc/fw_env.config')?.content, '# u_env of Linksys WRT1200AC; rewritten at boot from /proc/mtd\n/dev/mtd1 0x0 0x20000 0x40000\n');
  t.truthy(entry(config, '/etc/mcdebian/fw_env.geometry'));
});

test('qemu-armhf names u_env by its GPT label in fw_env.config and has no /proc/mtd rewrite', (t) => {
  const config = render('qemu-armhf');
  t.is(entry(config, '/etc/fw_env.config')?.content,
    '# u_env of QEMU virt (armhf), the router stand-in: the stand-in disk\'s GPT partition\n/dev/disk/by-partlabel/u_env 0x0 0x20000 0x40000\n');
  t.false(config.files.some((file) => file.path.includes('fw-env') || file.path === '/etc/mcdebian/fw_env.geometry'));
  t.deepEqual(config.files.filter((file) => isBootHealthFile(file.path)), bootHealthFiles('QEMU virt (armhf), the router stand-in'));
  t.deepEqual(config.units, ['systemd-networkd.service', 'systemd-resolved.service', 'mcdebian-boot-health.service']);
});

test('x86-64 has no boot counter, so no boot health files and no unit', (t) => {
  const config = render('x86-64');
  t.false(config.files.some((file) => isBootHealthFile(file.path)));
  t.false(config.units.includes('mcdebian-boot-health.service'));
});

test('the written layer has the scripts executable, the unit and an empty health.d', async (t) => {
  const dir = await makeTempDir(t);
  await writeLayer(render('qemu-armhf').files, dir);
  const mode = async (path: string) => (await stat(join(dir, path))).mode & 0o7777;
  t.is(await mode('usr/sbin/mcdebian-bootcount'), 0o755);
  t.is(await mode('usr/libexec/mcdebian/boot-health'), 0o755);
  t.is(await mode('etc/mcdebian/health.d'), 0o755);
  t.true((await stat(join(dir, 'etc/mcdebian/health.d'))).isDirectory());
  t.is(await readFile(join(dir, UNIT.slice(1)), 'utf8'), await readFile(join(FILES_DIR, 'mcdebian-boot-health.service'), 'utf8'));
});

/**
 * multi-user.target, from the host's systemd, with the unit enabled under it (a
 * multi-user.target.wants link, as `systemctl enable` makes) so that its start job is in the
 * transaction systemd-analyze verify builds. ExecStart points into the written layer, since the
 * host has no /usr/libexec/mcdebian. systemd-analyze exits 0 even when it breaks an ordering
 * cycle, so its output is what the test reads.
 */
async function verifyEnabled(t: ExecutionContext, edit: (unit: string) => string = (unit) => unit) {
  const dir = await makeTempDir(t);
  const layer = join(dir, 'layer');
  const units = join(dir, 'units');
  await writeLayer(render('qemu-armhf').files, layer);
  await mkdir(join(units, 'multi-user.target.wants'), { recursive: true });
  const unit = await readFile(join(layer, UNIT.slice(1)), 'utf8');
  const execStart = 'ExecStart=/usr/libexec/mcdebian/boot-health\n';
  t.true(unit.includes(execStart));
  await writeFile(join(units, 'mcdebian-boot-health.service'),
    edit(unit.replace(execStart, `ExecStart=${join(layer, 'usr/libexec/mcdebian/boot-health')}\n`)));
  await symlink('../mcdebian-boot-health.service', join(units, 'multi-user.target.wants/mcdebian-boot-health.service'));
  return execa('systemd-analyze', ['verify', '--man=no', 'multi-user.target', join(units, 'mcdebian-boot-health.service')], {
    reject: false,
    all: true,
    // the trailing colon appends systemd's own search path, where multi-user.target is
    env: { SYSTEMD_UNIT_PATH: `${units}:` },
  });
}

testWithTools({ 'systemd-analyze': 'systemd' }, 'the health unit, enabled under multi-user.target and ordered after it, verifies without an ordering cycle', async (t) => {
  const result = await verifyEnabled(t);
  t.is(result.exitCode, 0, String(result.all));
  t.notRegex(String(result.all), /cycle|mcdebian-boot-health/i);
});

testWithTools({ 'systemd-analyze': 'systemd' }, 'the cycle check bites: the same unit also ordered before sysinit.target is reported', async (t) => {
  const result = await verifyEnabled(t, (unit) => unit.replace('Before=shutdown.target\n', 'Before=shutdown.target sysinit.target\n'));
  t.regex(String(result.all), /Found ordering cycle/);
  t.regex(String(result.all), /mcdebian-boot-health\.service/);
});
