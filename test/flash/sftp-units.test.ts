import test from 'ava';
import { getBoard } from '../../board/index.js';
import { keepPath } from '../../build/config/schema.js';
import { parseProbe } from '../../flash/device-probe.js';
import { keepList, stageCommands } from '../../flash/rootfs-update.js';
import { preflight, type FlashPlan } from '../../flash/preflight.js';
import { judgeHealth } from '../../flash/sftp.js';
import { readBackCommand, setEnvCommand, shellQuote, writeSlotCommand } from '../../flash/slot-commands.js';
import { checkUImage } from '../../flash/uimage-header.js';
import { makeMultiImage, rewrapMultiImage } from '../helpers/uimage.js';
import { runCli } from '../helpers/cli.js';

const plan: FlashPlan = {
  kind: 'mtd', activeSlot: 1, targetSlot: 2, readSize: 0x70_0000, envChanges: [],
  target: { name: 'kernel2', device: '/dev/mtd6', size: 0x280_0000, eraseSize: 0x2_0000 },
};

test('slot 2 running with the counter reset is healthy', (t) => {
  t.is(judgeHealth(plan, { bootedSlot: 2, systemState: 'running', failedUnits: [], bootCount: 0 }).outcome, 'healthy');
});

test('the old slot answering means the boot counter fell back, and says so', (t) => {
  const health = judgeHealth(plan, { bootedSlot: 1, systemState: 'running', failedUnits: [], bootCount: 0 });
  t.is(health.outcome, 'fell-back');
  t.regex(health.message, /came back on slot 1, the old one: slot 2 never confirmed a healthy boot/);
});

test('the new slot degraded is unhealthy, naming the failed units and the way back', (t) => {
  const health = judgeHealth(plan, { bootedSlot: 2, systemState: 'degraded', failedUnits: ['named.service'], bootCount: 1 });
  t.is(health.outcome, 'unhealthy');
  t.regex(health.message, /degraded \(failed: named.service\).*returns to slot 1 after 3 boots/);
});

test('running but with the counter not reset is unhealthy', (t) => {
  t.regex(judgeHealth(plan, { bootedSlot: 2, systemState: 'running', failedUnits: [], bootCount: 2 }).message, /boot counter is still 2/);
});

test('NAND slots are erased whole, written with nandwrite -p and read back skipping bad blocks', (t) => {
  t.is(writeSlotCommand('mtd', '/dev/mtd6', '/var/tmp/a.uimg'), "flash_erase -q '/dev/mtd6' 0 0 && nandwrite -p -q '/dev/mtd6' '/var/tmp/a.uimg'");
  t.is(readBackCommand('mtd', '/dev/mtd6', 100), "nanddump -q --bb=skipbad -l 100 '/dev/mtd6' 2>/dev/null | head -c 100 | sha256sum | cut -d' ' -f1");
  t.regex(writeSlotCommand('block', '/dev/vda5', '/x'), /^dd if='\/x' of='\/dev\/vda5' bs=1M conv=fsync/);
  t.regex(readBackCommand('block', '/dev/vda5', 100), /drop_caches; head -c 100 '\/dev\/vda5'/);
});

test('the environment changes go to fw_setenv as one name=value script', (t) => {
  t.deepEqual(setEnvCommand([['boot_part', '2'], ['bootcmd', 'run altnandboot']]), { command: 'fw_setenv -s -', stdin: 'boot_part=2\nbootcmd=run altnandboot\n' });
  t.throws(() => setEnvCommand([['bad name', 'x']]));
  t.throws(() => setEnvCommand([['x', 'two\nlines']]));
});

test('shell quoting survives quotes', (t) => {
  t.is(shellQuote("it's"), "'it'\\''s'");
});

test('a good uImage passes; a bad magic, header CRC, data CRC or truncation is named', (t) => {
  const image = makeMultiImage('test', [Buffer.from('kernel!'), Buffer.from('initrd')]);
  t.like(checkUImage(image, 'k.uimg'), { name: 'test', type: 4, loadAddress: 0x8000 });
  t.throws(() => checkUImage(Buffer.from('MZ not a uimage at all, really no'), 'k.uimg'), { message: /not a legacy U-Boot image/ });
  const badHeader = Buffer.from(image); badHeader[40] = 0x41;
  t.throws(() => checkUImage(badHeader, 'k.uimg'), { message: /header CRC is wrong/ });
  const badData = Buffer.from(image); badData[image.length - 1] = 0x7f ^ image[image.length - 1]!;
  t.throws(() => checkUImage(badData, 'k.uimg'), { message: /data CRC is wrong \(U-Boot would stop with "Bad Data CRC"\)/ });
  t.throws(() => checkUImage(image.subarray(0, image.length - 3), 'k.uimg'), { message: /truncated/ });
});

test('the test helper re-wraps a multi-file image with a new name or a zeroed part, CRCs intact', (t) => {
  const image = makeMultiImage('test', [Buffer.from('kernel!'), Buffer.from('initrd')]);
  t.is(checkUImage(rewrapMultiImage(image, { name: 'renamed' }), 'x').name, 'renamed');
  const zeroed = rewrapMultiImage(image, { name: 'z', zeroPart: 1 });
  checkUImage(zeroed, 'x');
  t.true(zeroed.includes(Buffer.from('kernel!')));
  t.false(zeroed.includes(Buffer.from('initrd')));
});

test('flash sftp without --host, or without a board, is a usage error', async (t) => {
  const noHost = await runCli(['flash', 'sftp', '--board', 'wrt1200ac']);
  t.is(noHost.exitCode, 2);
  t.regex(noHost.stderr, /flash sftp needs --host H/);
  const noBoard = await runCli(['flash', 'sftp', '--host', '192.168.1.1']);
  t.is(noBoard.exitCode, 2);
  t.regex(noBoard.stderr, /needs --board ID or -c FILE/);
  const badPort = await runCli(['flash', 'sftp', '--host', 'h', '--board', 'wrt1200ac', '--port', '99999']);
  t.regex(badPort.stderr, /--port must be a whole number from 1 to 65535, not "99999"/);
  const keepAlone = await runCli(['flash', 'sftp', '--host', 'h', '--board', 'wrt1200ac', '--keep', '/etc/x']);
  t.is(keepAlone.exitCode, 2);
  t.regex(keepAlone.stderr, /--keep goes with --rootfs/);
  const usbBoard = await runCli(['flash', 'sftp', '--host', 'h', '--board', 'x86-64']);
  t.is(usbBoard.exitCode, 1);
  t.regex(usbBoard.stderr, /x86-64 has no kernel slots/);
});

test('the root filesystem is staged beside the running one, kept paths copied in, and marked complete last', (t) => {
  const commands = stageCommands('/var/tmp/mcdebian-flash/r.tar.gz', keepList(['/etc/wireguard/*.conf']));
  t.deepEqual(commands.map((c) => c.step), [
    'remove what an earlier root filesystem update left', 'unpack the new root filesystem', 'copy the kept paths into it', 'mark it complete for the next boot',
  ]);
  t.is(commands[0]!.command, 'rm -rf /.mcdebian-next /.mcdebian-previous /.mcdebian-failed');
  t.regex(commands[1]!.command, /^mkdir \/.mcdebian-next && tar -xzpf '\/var\/tmp\/mcdebian-flash\/r.tar.gz' -C \/.mcdebian-next --numeric-owner/);
  t.regex(commands[2]!.command, /for p in \/etc\/ssh\/ssh_host_\*; do .*cp -a --parents "\$p" \/.mcdebian-next\/; fi; done/);
  t.regex(commands[2]!.command, /for p in \/etc\/wireguard\/\*.conf;/);
  t.regex(commands[3]!.command, /sync && : > \/.mcdebian-next\/.mcdebian-complete && sync$/);
});

test('the keep list is the defaults, then the config\'s, without repeats', (t) => {
  t.deepEqual(keepList(['/etc/machine-id', '/etc/x']), ['/etc/ssh/ssh_host_*', '/etc/machine-id', '/var/lib/bind', '/etc/x']);
});

test('flash.keep takes absolute paths and globs, and refuses shell characters and ..', (t) => {
  t.true(keepPath.safeParse('/etc/ssh/ssh_host_*').success);
  for (const bad of ['etc/x', '/etc/$(reboot)', '/etc/a b', '/etc/../root', '/etc/x;rm']) t.false(keepPath.safeParse(bad).success, bad);
});

test('a root filesystem update needs room for its upload and its unpacked tree', (t) => {
  const facts = parseProbe([
    '== compatible', 'linksys,caiman', '== mtd', ...['u-boot 00200000', 'u_env 00040000', 's_env 00040000', 'devinfo 00100000', 'kernel1 02800000', 'rootfs1 02200000', 'kernel2 02800000', 'rootfs2 02200000', 'syscfg 02600000', 'unused_area 00680000']
      .map((entry, i) => `mtd${i}: ${entry.split(' ')[1]} 00020000 "${entry.split(' ')[0]}"`),
    '== env', 'boot_part=1', 'bootcmd=run nandboot', 'priKernAddr=0xa00000', 'priKernSize=0x600000', 'altKernAddr=0x3200000', 'altKernSize=0x600000', 'fw_printenv-exit 0',
    '== cmdline', 'root=/dev/mtdblock5', '== tools', 'fw_printenv', 'fw_setenv', 'sha256sum', 'flash_erase', 'nandwrite', 'nanddump', '== space', '300000000', '== boot_id', 'x', '',
  ].join('\n'));
  const image = { path: 'k', bytes: 6_000_000, sha256: 'x' };
  t.true(preflight(getBoard('wrt1200ac'), facts, image).ok);
  const result = preflight(getBoard('wrt1200ac'), facts, image, { uploadBytes: 120_000_000, unpackedBytes: 324_000_000 });
  t.false(result.ok);
  t.regex(result.ok ? '' : result.problems.join('\n'), /300000000 bytes free in the upload directory, the image, the root filesystem's upload and its unpacked tree need 450000000/);
});
