import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair } from '../../overlays/callhome/keys.js';
import { loadConfig, type Config } from '../../build/config/load.js';
import type { KernelFacts } from '../../build/kernel-facts.js';
import { initramfsCachePath, initramfsModules, planBuild, planLayer, type PlanInputs } from '../../build/pipeline.js';
import { makeTempDir, writeFiles } from '../helpers/temp-dir.js';

const kernel: KernelFacts = { lookup: 'offline', reason: '--offline', parts: [] };

async function inputs(board: string, change: Partial<Config> = {}, extra: Partial<PlanInputs> = {}): Promise<PlanInputs> {
  const config = await loadConfig({ board, cwd: '/srv/builds' });
  return {
    config: { ...config, ...change },
    mirror: 'http://mirror.example/debian',
    securityMirror: 'http://mirror.example/debian-security',
    mirrorSource: 'test',
    bootstrapper: 'mmdebstrap',
    toolVersions: { mmdebstrap: '1.5.7-1', e2fsprogs: '1.47.2-3' },
    kernel,
    cacheDir: '/var/cache/mcdebian',
    layerSourcesHash: 'sources-v1',
    ...extra,
  };
}

const asData = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

test('the same inputs give the same plan and cache keys', async (t) => {
  t.deepEqual(asData(planBuild(await inputs('wrt1200ac'))), asData(planBuild(await inputs('wrt1200ac'))));
});

test('changing only the hostname keeps the base key and changes the layer key and the images\' inputs', async (t) => {
  const before = planBuild(await inputs('wrt1200ac'));
  const after = planBuild(await inputs('wrt1200ac', { hostname: 'gw2' }));
  t.is(after.cacheKeys.base, before.cacheKeys.base);
  t.not(after.cacheKeys.layer, before.cacheKeys.layer);
  t.notDeepEqual(after.stageInputs.images, before.stageInputs.images);
});

const cachedStepsOf = test.macro({
  async exec(t, board: string) {
    const plan = planBuild(await inputs(board));
    t.deepEqual(plan.steps.filter((step) => step.cacheKey !== undefined).map((step) => [step.id, step.cacheKey]), [['bootstrap', plan.cacheKeys.base], ['configure', plan.cacheKeys.layer]]);
    t.deepEqual(Object.keys(plan.cacheKeys), ['base', 'layer']);
  },
  title: (_given, board: string) => `on ${board} only the steps whose output is looked up in the cache show a key: the base and the layer`,
});
test(cachedStepsOf, 'wrt1200ac');
test(cachedStepsOf, 'x86-64');

test('the layer\'s key records each file by path, with the part of the image that put it there, as a digest', async (t) => {
  const config = await withCallhome(t);
  const files = (planBuild(await inputs('wrt1200ac', config)).stageInputs.layer as { files: Record<string, { part: string; digest: string }> }).files;
  t.is(files['/etc/hostname']?.part, 'base');
  t.is(files['/etc/systemd/system/mcdebian-callhome.service']?.part, 'callhome');
  t.regex(files['/etc/hostname']?.digest ?? '', /^[0-9a-f]{64}$/);
});

test('the initramfs modules are those /etc/initramfs-tools/modules lists: the board\'s root modules and crc32c', async (t) => {
  const layerInputs = await inputs('qemu-armhf');
  t.deepEqual(initramfsModules(planLayer(layerInputs)), [...layerInputs.config.board.rootModules, 'crc32c']);
});

test('the cached initramfs is found by the base and the initramfs settings, whatever the hostname', async (t) => {
  const path = initramfsCachePath(await inputs('qemu-armhf'));
  t.regex(path, /^\/var\/cache\/mcdebian\/initramfs\/[0-9a-f]{64}\.img$/);
  t.is(initramfsCachePath(await inputs('qemu-armhf', { hostname: 'other' })), path);
  t.not(initramfsCachePath(await inputs('qemu-armhf', { packages: ['htop'] })), path);
  const assemble = planBuild(await inputs('qemu-armhf')).steps.find((step) => step.id === 'assemble')!;
  t.true(assemble.notes.some((note) => note.includes(path)), 'the build reuses the initramfs from the same path');
});

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';

/** A config with callhome, loaded as `build` loads it (the tunnel key generated). */
async function withCallhome(t: ExecutionContext, lines: string[] = []): Promise<Config> {
  const dir = await makeTempDir(t);
  await writeFiles(dir, {
    'hq.pub': HOST_KEY,
    'mcdebian.yaml': ['board: wrt1200ac', 'overlays:', '  callhome:', '    host: hq.example', '    hostKey: hq.pub', '    remotePort: 5000', ...lines, ''].join('\n'),
  });
  return loadConfig({ file: join(dir, 'mcdebian.yaml'), generateSecrets: true });
}

test('an overlay keeps the base key, changes the layer key and adds its check and output steps', async (t) => {
  const before = planBuild(await inputs('wrt1200ac'));
  const config = await withCallhome(t);
  const after = planBuild(await inputs('wrt1200ac', config));
  t.is(after.cacheKeys.base, before.cacheKeys.base, 'callhome\'s openssh-client is in the base already');
  t.not(after.cacheKeys.layer, before.cacheKeys.layer);
  const ids = after.steps.map((step) => step.id);
  t.true(ids.indexOf('check-overlays') === ids.indexOf('assemble') + 1);
  t.true(ids.indexOf('overlay-outputs') === ids.indexOf('manifest') - 1);
  t.true(after.steps.find((step) => step.id === 'check-overlays')!.commands.some((c) => c.argv.join(' ').endsWith('systemd-analyze verify --man=no /etc/systemd/system/mcdebian-callhome.service')));
  const changed = planBuild(await inputs('wrt1200ac', { ...config, resolvedOverlays: config.resolvedOverlays.map((r) => ({ ...r, config: { ...(r.config as object), restartSec: 9 } })) }));
  t.is(changed.cacheKeys.base, after.cacheKeys.base);
  t.not(changed.cacheKeys.layer, after.cacheKeys.layer);
});

test('a new tunnel key changes the layer key, and the layer inputs record its digest, not its content', async (t) => {
  const config = await withCallhome(t);
  const plan = planBuild(await inputs('wrt1200ac', config));
  const key = config.resolvedOverlays[0]!.files.find((f) => f.field[0] === 'privateKey')!;
  const other = join(await makeTempDir(t), 'other');
  await generateKeyPair(other, 'other');
  const content = await readFile(other, 'utf8');
  const rekeyed = { ...config, resolvedOverlays: config.resolvedOverlays.map((r) => ({ ...r, files: r.files.map((f) => (f === key ? { ...f, content } : f)) })) };
  t.not(planBuild(await inputs('wrt1200ac', rekeyed)).cacheKeys.layer, plan.cacheKeys.layer);
  const recorded = JSON.stringify(plan.stageInputs);
  t.false(recorded.includes('PRIVATE KEY'));
  t.regex(recorded, /"callhome\.privateKey":"secrets\/mcdebian\/callhome-tunnel-key [0-9a-f]{64}"/);
});

test('an extra package, another mirror or a new mmdebstrap changes the base key', async (t) => {
  const base = planBuild(await inputs('wrt1200ac')).cacheKeys.base;
  t.not(planBuild(await inputs('wrt1200ac', { packages: ['htop'] })).cacheKeys.base, base);
  t.not(planBuild(await inputs('wrt1200ac', {}, { mirror: 'http://other.example/debian' })).cacheKeys.base, base);
  t.not(planBuild(await inputs('wrt1200ac', {}, { toolVersions: { mmdebstrap: '1.5.8-1' } })).cacheKeys.base, base);
});

test('the three Armada 385 boards with the same layout share a base but not a layer', async (t) => {
  const caiman = planBuild(await inputs('wrt1200ac'));
  const shelby = planBuild(await inputs('wrt1900acs'));
  t.is(caiman.cacheKeys.base, shelby.cacheKeys.base);
  t.not(caiman.cacheKeys.layer, shelby.cacheKeys.layer);
});

const stepsOf = test.macro({
  async exec(t, board: string, expected: string[]) {
    t.deepEqual(planBuild(await inputs(board)).steps.map((step) => step.id), expected);
  },
  title: (_given, board: string) => `${board} plans its steps in order`,
});

const ROUTER_STEPS = ['bootstrap', 'configure', 'assemble', 'kernel-blob', 'rootfs-tar', 'rootfs-ext4', 'usb-image', 'manifest'];
test(stepsOf, 'wrt3200acm', ROUTER_STEPS);
test(stepsOf, 'qemu-armhf', ROUTER_STEPS);
test(stepsOf, 'x86-64', ['bootstrap', 'configure', 'assemble', 'esp', 'rootfs-tar', 'rootfs-ext4', 'disk-image', 'manifest']);

test('the QEMU stand-in dumps the virt DTB before making its uImage', async (t) => {
  const blob = planBuild(await inputs('qemu-armhf')).steps.find((step) => step.id === 'kernel-blob')!;
  t.is(blob.commands[0]?.argv[0], 'qemu-system-arm');
  t.is(blob.commands[1]?.argv[0], 'mkimage');
});

test('debootstrap as the bootstrapper runs its second stage in the target', async (t) => {
  const plan = planBuild(await inputs('wrt1200ac', {}, { bootstrapper: 'debootstrap' }));
  const argvs = plan.steps[0]!.commands.map((command) => command.argv);
  t.is(argvs[0]?.[0], 'debootstrap');
  t.true(argvs[0]?.includes('--foreign'));
  t.deepEqual(argvs[1]?.slice(-2), ['/debootstrap/debootstrap', '--second-stage']);
});

test('outputs go to <output>/<board> beside the config', async (t) => {
  const plan = planBuild(await inputs('wrt1200ac'));
  t.deepEqual(plan.outputs.map((output) => output.path), [
    '/srv/builds/out/wrt1200ac/kernel.uimg', '/srv/builds/out/wrt1200ac/rootfs.tar', '/srv/builds/out/wrt1200ac/rootfs.ext4',
    '/srv/builds/out/wrt1200ac/usb.img', '/srv/builds/out/wrt1200ac/manifest.json', '/srv/builds/out/wrt1200ac/build.log',
  ]);
});

test('the root UUID is fixed by the base and the board, and survives a hostname change', async (t) => {
  const uuidOf = async (board: string, change: Partial<Config> = {}) => {
    const plan = planBuild(await inputs(board, change));
    const argv = plan.steps.find((step) => step.id === 'rootfs-ext4')!.commands[0]!.argv;
    return argv[argv.indexOf('-U') + 1];
  };
  t.is(await uuidOf('wrt1200ac'), await uuidOf('wrt1200ac', { hostname: 'other' }));
  t.not(await uuidOf('wrt1200ac'), await uuidOf('wrt1200ac', { packages: ['htop'] }));
  t.not(await uuidOf('wrt1200ac'), await uuidOf('wrt1900acs'));
  t.regex((await uuidOf('wrt1200ac'))!, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('a config without SSH keys is warned about', async (t) => {
  t.true(planBuild(await inputs('wrt1200ac')).warnings.some((warning) => /no user has an SSH key/.test(warning)));
});
