/**
 * flash tftp end to end under QEMU, U-Boot only: the real CLI, in.tftpd on 127.0.0.1:69 and
 * u-boot-qemu on the flash stand-in; then the disk is read on the host and the console shows the
 * stand-in's own boot script booting the new slot.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getBoard } from '../../board/index.js';
import { standInEnvironment, standInLayout, standInPartition } from '../../flash/stand-in.js';
import { createStandInDisk, standInReadSize } from '../../build/stand-in-disk.js';
import { parseBootCounter } from '../../flash/bootcount.js';
import { parseEnvironment } from '../../flash/uboot-env.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testAsRootWithTools } from './helpers/tftp-flash.js';
import { dumpVirtDtb, makeTestUImage, QEMU_TFTP_TOOLS, startUBootQemu } from '../helpers/uboot-qemu.js';

const board = getBoard('qemu-armhf');

testAsRootWithTools(QEMU_TFTP_TOOLS, 'TFTP into U-Boot in QEMU: the image loads, slot 2 is written and switched to, and the stand-in boots it', async (t) => {
  const dir = await makeTempDir(t);
  const dtb = await dumpVirtDtb(dir);
  const first = await makeTestUImage(dir, { name: 'McDebian slot one', kernelBytes: 900_000, dtb });
  const other = await makeTestUImage(dir, { name: 'McDebian slot two', kernelBytes: 2_500_000, dtb });
  const disk = join(dir, 'flash.img');
  await createStandInDisk(board, { disk, kernel: first, work: dir });
  const serialSocket = join(dir, 'console');
  const qemu = startUBootQemu({ flashDisk: disk, serialSocket });
  t.teardown(() => qemu.stop());

  const log = join(dir, 'flash-tftp.log');
  const result = await runCli(['flash', 'tftp', '--board', 'qemu-armhf', '--serial', `unix:${serialSocket}`, '--image', other, '--log', log, '--json']);
  await qemu.stop(); // the test kernel spins in place: U-Boot's part is done
  t.is(result.exitCode, 0, result.stderr);
  const image = await readFile(other);
  t.like(JSON.parse(result.stdout), { slot: 2, previousSlot: 1, bytes: image.length, bootedImage: 'McDebian slot two' });

  const flash = await readFile(disk);
  const layout = standInLayout(board);
  const kernel2 = standInPartition(layout, 'kernel2').start;
  t.true(flash.subarray(kernel2, kernel2 + image.length).equals(image), 'kernel2 holds the image byte for byte');
  const uEnv = standInPartition(layout, 'u_env').start;
  const env = parseEnvironment(flash.subarray(uEnv, uEnv + 0x2_0000), { size: 0x2_0000 }).variables;
  const factory = standInEnvironment(board, standInReadSize((await readFile(first)).length));
  t.deepEqual(Object.fromEntries(env), { ...factory, boot_part: '2', bootcmd: 'run altnandboot', altKernSize: `0x${standInReadSize(image.length).toString(16)}` });
  t.true(standInReadSize(image.length) > Number(factory.altKernSize), 'the window was raised');
  const sEnv = standInPartition(layout, 's_env');
  const counter = parseBootCounter(flash.subarray(sEnv.start, sEnv.start + sEnv.size), { recordStride: 2048 });
  t.deepEqual(counter.records.map((record) => record.count), [0, 1], 'reset by the flash, then one boot counted by the stand-in');

  const transcript = await readFile(log, 'latin1');
  t.regex(transcript, /Hit any key to stop autoboot/);
  t.regex(transcript, new RegExp(`=> tftpboot \\$\\{defaultLoadAddr\\} kernel\\.uimg\\r\\n[\\s\\S]*Bytes transferred = ${image.length} `));
  t.regex(transcript, /=> reset\r\nresetting \.\.\.[\s\S]*McDebian stand-in: boot_part 2, boot count 1: run altnandboot[\s\S]*Image Name: +McDebian slot two\r\n[\s\S]*Verifying Checksum \.\.\. OK[\s\S]*Starting kernel \.\.\./);
});
