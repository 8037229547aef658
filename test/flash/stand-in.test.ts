import test from 'ava';
import { getBoard } from '../../board/index.js';
import { validateBoard } from '../../board/validate.js';
import { computeBudget } from '../../build/budget.js';
import { standInBootScript, standInEnvironment, standInLayout, standInPartitionScript } from '../../flash/stand-in.js';

const board = getBoard('qemu-armhf');
const MiB = 1024 * 1024;

test('the stand-in board is valid and keeps caiman\'s slots, environment and counter geometry', (t) => {
  t.deepEqual(validateBoard(board), []);
  t.deepEqual(board.flashStandIn!.partitions.map((p) => p.name), ['u-boot', 'u_env', 's_env', 'kernel1', 'kernel2']);
  t.is(board.ubootEnv!.size, 0x2_0000);
  t.is(board.kernelSlots![1].stockRoot, '/dev/mtdblock7');
});

test('each stand-in partition sits at its NAND offset plus 1 MiB, named as the MTD partition', (t) => {
  const layout = standInLayout(board);
  t.deepEqual(layout.partitions.map((p) => [p.name, p.start]), [['u-boot', 0x10_0000], ['u_env', 0x30_0000], ['s_env', 0x34_0000], ['kernel1', 0xb0_0000], ['kernel2', 0x330_0000]]);
  t.is(layout.diskBytes, 0x330_0000 + 0x280_0000 + MiB);
  const script = standInPartitionScript(layout);
  t.regex(script, /^label: gpt/);
  t.regex(script, /start=104448, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="kernel2"/);
  t.regex(script, /name="u-boot", attrs="LegacyBIOSBootable"/);
});

test('the factory environment has the stock variables, both windows raised, and boot commands reading the virtio slot', (t) => {
  const env = standInEnvironment(board, 13 * MiB);
  t.like(env, { boot_part: '1', bootcmd: 'run nandboot', auto_recovery: 'yes', priKernAddr: '0xa00000', altKernAddr: '0x3200000', priKernSize: '0xd00000', altKernSize: '0xd00000' });
  t.regex(env.altnandboot!, /^setenv bootargs 'console=ttyAMA0,115200 root=\/dev\/mtdblock7 ro /);
  t.regex(env.altnandboot!, /setexpr mcd_blk \$\{altKernAddr\} \+ 0x100000; .*virtio read \$\{defaultLoadAddr\} \$\{mcd_blk\} \$\{mcd_cnt\}; bootm \$\{defaultLoadAddr\}$/);
});

test('the boot script reads u_env and s_env at the stand-in\'s blocks and saves only after deleting its temporaries', (t) => {
  const script = standInBootScript(board);
  t.regex(script, /virtio read 0x48000000 0x1800 0x100\n/);
  t.regex(script, /env import -d -c 0x48000000 0x20000/);
  t.regex(script, /virtio read 0x48100000 0x1a00 0x200/);
  t.regex(script, /itest \$\{mcd_count\} -ge 3/);
  const save = script.indexOf('env export');
  t.true(script.lastIndexOf('for mcd_v in') < save && save > 0);
  for (const line of script.split('\n').filter((l) => /^\s*echo /.test(l))) t.regex(line, /echo "[^"]*"/, 'echo text is one quoted argument: U-Boot commands take at most 16');
});

test('the stand-in blob may exceed the stock 6 MiB window: the budget warns, the flasher raises it', (t) => {
  const budget = computeBudget(board, [
    { name: 'zImage', bytes: 6_046_208, source: 'build' },
    { name: 'initramfs', bytes: 7_000_000, source: 'build' },
    { name: 'dtb', bytes: 1_048_576, source: 'build' },
  ]);
  t.is(budget.status, 'exceeds-read-window');
  t.is(budget.partition?.name, 'kernel1');
});
