import test from 'ava';
import { getBoard } from '../../board/index.js';
import { parseBootCounter } from '../../flash/bootcount.js';
import { bootCounterImage, loadCommands, prepareCommands, restoreCommands, switchCommands, writeCommands } from '../../flash/tftp-commands.js';
import { parsePrintenv, planFlash, type TftpFlashPlan } from '../../flash/tftp-plan.js';
import { caimanStockVariables, mambaStockVariables } from './stock-env.js';

const routerNetwork = { ipaddr: '192.168.1.1', serverip: '192.168.1.2' };
const lines = (commands: { command: string }[]) => commands.map((c) => c.command);
const plan = (overrides: Partial<TftpFlashPlan>): TftpFlashPlan => ({ slot: 2, imageBytes: 6_300_001, readSize: 0x70_0000, network: routerNetwork, ...overrides });

test('caiman: tftpboot to defaultLoadAddr, erase and write kernel2 to the 2048-byte page, reset the boot counter, switch and saveenv', (t) => {
  const board = getBoard('wrt1200ac');
  const p = plan({});
  t.deepEqual(lines(prepareCommands(board)), []);
  t.deepEqual(lines([...loadCommands(board, p), ...writeCommands(board, p), ...switchCommands(board, p)]), [
    'setenv ipaddr 192.168.1.1',
    'setenv serverip 192.168.1.2',
    'setenv tftpblocksize 1468',
    'mw.b ${defaultLoadAddr} 0xff 0x602800',
    'tftpboot ${defaultLoadAddr} kernel.uimg',
    'nand erase 0x3200000 0x2800000',
    'nand write ${defaultLoadAddr} 0x3200000 0x602800',
    'tftpboot ${defaultLoadAddr} s_env.bin',
    'nand erase 0x240000 0x40000',
    'nand write ${defaultLoadAddr} 0x240000 0x800',
    'setenv altKernSize 0x700000',
    'setenv auto_recovery yes',
    'setenv boot_part 2',
    "setenv bootcmd 'run altnandboot'",
    'saveenv',
  ]);
  const tftpboot = loadCommands(board, p).at(-1)!;
  t.true(tftpboot.expect!.test('Bytes transferred = 6300001 (602161 hex)'));
  t.false(tftpboot.expect!.test('Bytes transferred = 630000 (99cf0 hex)'), 'a short transfer is a failure');
});

test('mamba: lower_case variable names, its own s_env offset, slot 1 with priKernSize\'s counterpart', (t) => {
  const board = getBoard('wrt1900ac-v1');
  const p = plan({ slot: 1, imageBytes: 4096, readSize: 0x40_0000 });
  const all = lines([...loadCommands(board, p), ...writeCommands(board, p), ...switchCommands(board, p)]);
  t.true(all.includes('tftpboot ${default_load_addr} kernel.uimg'));
  t.true(all.includes('nand write ${default_load_addr} 0xa00000 0x1000'));
  t.true(all.includes('nand erase 0x140000 0x40000'));
  t.true(all.includes('setenv pri_kern_size 0x400000'));
  t.true(all.includes("setenv bootcmd 'run nandboot'"));
  t.false(all.some((line) => /defaultLoadAddr|priKernSize/.test(line)));
});

test('the QEMU stand-in imports u_env first, writes the disk blocks, and exports u_env back as its boot script reads it', (t) => {
  const board = getBoard('qemu-armhf');
  const p = plan({ imageBytes: 3_852_752, readSize: 0x40_0000, network: board.ubootConsole!.network });
  t.deepEqual(lines([...prepareCommands(board), ...loadCommands(board, p), ...writeCommands(board, p), ...switchCommands(board, p)]), [
    'virtio scan',
    'virtio read 0x48000000 0x1800 0x100',
    'env import -d -c 0x48000000 0x20000',
    'setenv ipaddr 10.0.2.15',
    'setenv serverip 127.0.0.1',
    'setenv netmask 255.255.255.0',
    'setenv gatewayip 10.0.2.2',
    'setenv tftpblocksize 1468',
    'mw.b ${defaultLoadAddr} 0xff 0x3ad000',
    'tftpboot ${defaultLoadAddr} kernel.uimg',
    // kernel2 at caiman's 0x3200000 plus the stand-in's 1 MiB, in 512-byte blocks
    'virtio write ${defaultLoadAddr} 0x19800 0x1d68',
    'tftpboot ${defaultLoadAddr} s_env.bin',
    'virtio write ${defaultLoadAddr} 0x1a00 0x200',
    'setenv altKernSize 0x400000',
    'setenv auto_recovery yes',
    'setenv boot_part 2',
    "setenv bootcmd 'run altnandboot'",
    'env export -c -s 0x20000 0x48000000',
    'virtio write 0x48000000 0x1800 0x100',
  ]);
});

test('s_env is served as resetbc leaves it: a count-0 record, then erased flash', (t) => {
  const image = bootCounterImage(getBoard('wrt1200ac'));
  t.is(image.length, 0x4_0000);
  const log = parseBootCounter(image, { recordStride: 2048 });
  t.deepEqual(log.records, [{ offset: 0, count: 0, checksum: 0x2011_0811 }]);
  t.is(log.nextOffset, 2048);
});

test('what loading added is deleted and what it changed is put back; the protected ethaddr is left alone', (t) => {
  const before = new Map([['ipaddr', '192.168.1.1'], ['bootdelay', '3'], ['ethaddr', '00:11:22:33:44:55'], ['note', 'a b']]);
  const after = new Map([['ipaddr', '10.0.0.1'], ['bootdelay', '3'], ['serverip', '10.0.0.2'], ['filesize', '602161'], ['ethaddr', '00:11:22:33:44:66'], ['note', 'c']]);
  t.deepEqual(lines(restoreCommands(before, after)), ['setenv serverip', 'setenv filesize', 'setenv ipaddr 192.168.1.1', "setenv note 'a b'"]);
  t.deepEqual(restoreCommands(before, before), []);
});

test('printenv output is read up to its footer (recorded from u-boot-qemu 2023.01)', (t) => {
  const output = 'altKernAddr=0x3200000\r\nbootcmd=run nandboot\r\nnandboot=setenv bootargs \'console=ttyAMA0,115200\'; bootm ${defaultLoadAddr}\r\n\r\nEnvironment size: 1145/262140 bytes\r\n';
  t.deepEqual([...parsePrintenv(output)], [
    ['altKernAddr', '0x3200000'],
    ['bootcmd', 'run nandboot'],
    ['nandboot', "setenv bootargs 'console=ttyAMA0,115200'; bootm ${defaultLoadAddr}"],
  ]);
});

test('the inactive slot is written, and the read window is raised to the image rounded up to a MiB, never lowered', (t) => {
  const board = getBoard('wrt1200ac');
  const env = new Map(Object.entries(caimanStockVariables));
  const small = planFlash(board, env, { imageBytes: 3_000_000, network: routerNetwork });
  t.like(small, { activeSlot: 1, slot: 2, readSize: 0x60_0000 });
  const big = planFlash(board, env, { imageBytes: 6_300_001, network: routerNetwork });
  t.is(big.readSize, 0x70_0000);
  t.like(planFlash(board, new Map([...env, ['boot_part', '2']]), { imageBytes: 1, network: routerNetwork }), { activeSlot: 2, slot: 1 });
  t.like(planFlash(board, env, { imageBytes: 1, slot: 1, network: routerNetwork }), { activeSlot: 1, slot: 1 }, '--slot overrides');
});

test('mamba\'s environment is read with mamba\'s names', (t) => {
  const plan = planFlash(getBoard('wrt1900ac-v1'), new Map(Object.entries(mambaStockVariables)), { imageBytes: 6_046_208, network: routerNetwork });
  t.like(plan, { slot: 2, readSize: 0x60_0000 });
});

test('an environment that does not match the board is refused with every mismatch, before anything is written', (t) => {
  const env = new Map(Object.entries(caimanStockVariables));
  env.set('altKernAddr', '0x5a00000');
  env.delete('defaultLoadAddr');
  env.delete('boot_part');
  const error = t.throws(() => planFlash(getBoard('wrt1200ac'), env, { imageBytes: 1, network: routerNetwork }));
  t.regex(error.message, /does not match wrt1200ac; nothing was written/);
  t.regex(error.message, /boot_part is not set, so the inactive slot is unknown: pass --slot 1 or --slot 2/);
  t.regex(error.message, /altKernAddr is 0x5a00000, but wrt1200ac's kernel2 starts at 0x3200000: is --board right\?/);
  t.regex(error.message, /defaultLoadAddr is not set/);
});

test('addresses without 0x are hex, as U-Boot\'s nand commands read them', (t) => {
  const env = new Map(Object.entries(caimanStockVariables));
  env.set('altKernAddr', '3200000');
  t.notThrows(() => planFlash(getBoard('wrt1200ac'), env, { imageBytes: 1, network: routerNetwork }));
});
