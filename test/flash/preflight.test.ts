import test from 'ava';
import { getBoard } from '../../board/index.js';
import { parseProbe } from '../../flash/device-probe.js';
import { bootedSlot, preflight, readSizeFor, type FlashImage } from '../../flash/preflight.js';

const MiB = 1024 * 1024;
const image: FlashImage = { path: '/out/kernel.uimg', bytes: 6_066_343, sha256: 'ab'.repeat(32) };

/** What `flash sftp`'s probe prints on a WRT1200AC running McDebian from slot 1. */
function caimanProbe(changes: { compatible?: string; mtd?: string[]; env?: string[]; envExit?: number; cmdline?: string; tools?: string[]; space?: number } = {}): string {
  const mtd = changes.mtd ?? [
    'dev:    size   erasesize  name',
    'mtd0: 00200000 00020000 "u-boot"',
    'mtd1: 00040000 00020000 "u_env"',
    'mtd2: 00040000 00020000 "s_env"',
    'mtd3: 00100000 00020000 "devinfo"',
    'mtd4: 02800000 00020000 "kernel1"',
    'mtd5: 02200000 00020000 "rootfs1"',
    'mtd6: 02800000 00020000 "kernel2"',
    'mtd7: 02200000 00020000 "rootfs2"',
    'mtd8: 02600000 00020000 "syscfg"',
    'mtd9: 00680000 00020000 "unused_area"',
  ];
  const env = changes.env ?? [
    'altKernAddr=0x3200000', 'altKernSize=0x0600000', 'auto_recovery=yes', 'boot_part=1', 'bootcmd=run nandboot',
    'priKernAddr=0xa00000', 'priKernSize=0x0600000',
  ];
  return [
    '== compatible', changes.compatible ?? 'linksys,caiman',
    '== mtd', ...mtd,
    '== partlabels',
    '== env', ...env, `fw_printenv-exit ${changes.envExit ?? 0}`,
    '== cmdline', changes.cmdline ?? 'console=ttyS0,115200 root=/dev/mtdblock5 ro rootdelay=1 rootfstype=jffs2 earlyprintk',
    '== bootcount', '{"device":"/dev/mtd2","count":0,"records":1,"next":2048}',
    '== tools', ...(changes.tools ?? ['fw_printenv', 'fw_setenv', 'sha256sum', 'dd', 'head', 'flash_erase', 'nandwrite', 'nanddump', 'mcdebian-bootcount']),
    '== space', String(changes.space ?? 900_000_000),
    '== boot_id', '0f6d6c1e-8d55-4f0e-9b1a-2d7c1c3f0a11',
    '== rootuuid', '3e425387-3d30-8d56-8c12-485df5c51017',
    '',
  ].join('\n');
}

const caiman = getBoard('wrt1200ac');
const problemsOf = (output: string, img = image) => {
  const result = preflight(caiman, parseProbe(output), img);
  return result.ok ? [] : result.problems;
};

test('the probe output parses into facts', (t) => {
  const facts = parseProbe(caimanProbe());
  t.is(facts.compatible, 'linksys,caiman');
  t.deepEqual(facts.mtd[4], { name: 'kernel1', device: '/dev/mtd4', size: 0x280_0000, eraseSize: 0x2_0000 });
  t.is(facts.env?.get('bootcmd'), 'run nandboot');
  t.is(facts.bootCount, 0);
  t.true(facts.tools.has('nandwrite'));
  t.is(facts.freeBytes, 900_000_000);
  t.is(facts.bootId, '0f6d6c1e-8d55-4f0e-9b1a-2d7c1c3f0a11');
  t.is(facts.rootUuid, '3e425387-3d30-8d56-8c12-485df5c51017');
  t.true(preflight(caiman, facts, { ...image, rootUuid: facts.rootUuid }).ok, 'the same root UUID passes');
});

test('a matching WRT1200AC on slot 1 gets slot 2 (kernel2), with the read window raised and the switch in one write', (t) => {
  const result = preflight(caiman, parseProbe(caimanProbe()), { ...image, bytes: 6_500_000 });
  if (!result.ok) return t.fail(result.problems.join('\n'));
  t.is(result.plan.kind, 'mtd');
  t.is(result.plan.activeSlot, 1);
  t.is(result.plan.targetSlot, 2);
  t.is(result.plan.target.device, '/dev/mtd6');
  t.is(result.plan.readSize, 7 * MiB);
  t.deepEqual(result.plan.envChanges, [['altKernSize', '0x700000'], ['auto_recovery', 'yes'], ['boot_part', '2'], ['bootcmd', 'run altnandboot']]);
});

test('slot 2 running: slot 1 gets the image', (t) => {
  const env = ['altKernAddr=0x3200000', 'altKernSize=0x0600000', 'boot_part=2', 'bootcmd=run altnandboot', 'priKernAddr=0xa00000', 'priKernSize=0x0600000'];
  const result = preflight(caiman, parseProbe(caimanProbe({ env, cmdline: 'root=/dev/mtdblock7 ro' })), image);
  if (!result.ok) return t.fail(result.problems.join('\n'));
  t.is(result.plan.targetSlot, 1);
  t.is(result.plan.target.device, '/dev/mtd4');
  t.is(result.plan.readSize, 0x60_0000, 'a window that already holds the blob is kept');
});

const refusal = test.macro({
  exec(t, output: string, expected: RegExp, img: FlashImage = image) {
    const problems = problemsOf(output, img);
    t.true(problems.some((problem) => expected.test(problem)), problems.join('\n') || 'preflight passed');
  },
  title: (title = '') => `preflight refuses ${title}`,
});

test('another board\'s device tree', refusal, caimanProbe({ compatible: 'linksys,rango' }), /device tree: the device is "linksys,rango", wrt1200ac is "linksys,caiman"/);
test('a device without a device tree', refusal, caimanProbe({ compatible: '' }), /device tree: the device is "unknown/);
test('a missing MTD partition', refusal, caimanProbe({ mtd: ['mtd0: 00200000 00020000 "u-boot"'] }), /no "kernel2" in \/proc\/mtd/);
test('a partition of another size', refusal, caimanProbe({ mtd: caimanProbe().split('\n').filter((l) => l.startsWith('mtd')).map((l) => l.replace('02800000 00020000 "kernel2"', '05000000 00020000 "kernel2"')) }), /"kernel2" is 0x5000000 bytes on the device, 0x2800000 on wrt1200ac/);
test('another erase block size', refusal, caimanProbe({ mtd: caimanProbe().split('\n').filter((l) => l.startsWith('mtd')).map((l) => l.replace('00020000', '00040000')) }), /erases in 0x40000 blocks/);
test('an environment fw_printenv cannot read', refusal, caimanProbe({ env: ['Cannot read environment, using default', 'Cannot read default environment from file'], envExit: 1 }), /fw_printenv failed \(Cannot read environment/);
test('a boot_part that is not 1 or 2', refusal, caimanProbe({ env: ['boot_part=3', 'bootcmd=run nandboot', 'priKernAddr=0xa00000', 'priKernSize=0x600000', 'altKernAddr=0x3200000', 'altKernSize=0x600000'] }), /boot_part is "3", not 1 or 2/);
test('a bootcmd that does not boot boot_part', refusal, caimanProbe({ env: ['boot_part=1', 'bootcmd=run altnandboot', 'priKernAddr=0xa00000', 'priKernSize=0x600000', 'altKernAddr=0x3200000', 'altKernSize=0x600000'] }), /bootcmd is "run altnandboot" but boot_part=1 boots with "run nandboot"/);
test('an environment without the read window variables', refusal, caimanProbe({ env: ['boot_part=1', 'bootcmd=run nandboot'] }), /altKernSize is not set/);
test('a device running the other slot than boot_part says', refusal, caimanProbe({ cmdline: 'console=ttyS0,115200 root=/dev/mtdblock7 ro' }), /booted slot 2 but boot_part is 1/);
test('a command line naming neither slot', refusal, caimanProbe({ cmdline: 'root=/dev/sda1' }), /no root= of either slot/);
test('a device without mtd-utils', refusal, caimanProbe({ tools: ['fw_printenv', 'fw_setenv', 'sha256sum'] }), /lacks flash_erase, nandwrite, nanddump/);
test('a device without room for the upload', refusal, caimanProbe({ space: 1000 }), /1000 bytes free in the upload directory, the image needs 6066343/);
test('an image whose initramfs mounts another root UUID than the device has', refusal, caimanProbe(),
  /the image's initramfs mounts UUID=0000-1111, but this device's root is UUID=3e425387-3d30-8d56-8c12-485df5c51017/, { ...image, rootUuid: '0000-1111' });
test('an image larger than the slot', refusal, caimanProbe(), /larger than the 41943040-byte kernel2 partition/, { ...image, bytes: 41 * MiB });

test('every problem is reported at once', (t) => {
  t.is(problemsOf(caimanProbe({ compatible: 'linksys,rango', space: 1, tools: [] })).length, 3);
});

test('the QEMU stand-in is checked by PARTLABEL and written as a block device', (t) => {
  const output = [
    '== compatible', 'linux,dummy-virt', '== mtd',
    '== partlabels', 'u-boot /dev/vda1 2097152', 'u_env /dev/vda2 262144', 's_env /dev/vda3 262144', 'kernel1 /dev/vda4 41943040', 'kernel2 /dev/vda5 41943040',
    '== env', 'altKernAddr=0x3200000', 'altKernSize=0xd00000', 'auto_recovery=yes', 'boot_part=1', 'bootcmd=run nandboot', 'priKernAddr=0xa00000', 'priKernSize=0xd00000', 'fw_printenv-exit 0',
    '== cmdline', 'console=ttyAMA0,115200 root=/dev/mtdblock5 ro', '== bootcount', '== tools', 'fw_printenv', 'fw_setenv', 'sha256sum', 'dd', 'head',
    '== space', '500000000', '== boot_id', 'x', '',
  ].join('\n');
  const result = preflight(getBoard('qemu-armhf'), parseProbe(output), { ...image, bytes: 13_191_384 });
  if (!result.ok) return t.fail(result.problems.join('\n'));
  t.is(result.plan.kind, 'block');
  t.is(result.plan.target.device, '/dev/vda5');
  t.is(result.plan.readSize, 0xd0_0000);
  t.is(result.plan.bootCount, undefined);
});

test('the booted slot comes from root= on the command line, per board', (t) => {
  t.is(bootedSlot(caiman, 'console=ttyS0,115200 root=/dev/mtdblock5 ro'), 1);
  t.is(bootedSlot(caiman, 'root=/dev/mtdblock7'), 2);
  t.is(bootedSlot(getBoard('wrt3200acm'), 'root=/dev/mtdblock8 ro'), 2);
  t.is(bootedSlot(caiman, 'root=UUID=1234'), undefined);
});

test('the read size is the blob rounded up to a MiB, never below the current one', (t) => {
  t.is(readSizeFor(6 * MiB + 1, 0x60_0000), 7 * MiB);
  t.is(readSizeFor(5 * MiB, 0x60_0000), 0x60_0000);
  t.is(readSizeFor(5 * MiB, undefined), 5 * MiB);
});
