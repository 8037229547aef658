/**
 * rootfs/files/mcdebian-bootcount, the real sh script, on the host: against a file standing in
 * for s_env (kind block, as on the QEMU stand-in), and with fake flash_erase/nandwrite for the MTD
 * path. Logs are made with renderBootCounter and read back with parseBootCounter (flash/bootcount.ts).
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBoard } from '../../board/index.js';
import { flashPartition } from '../../board/flash.js';
import { BOOT_COUNT_MAGIC, parseBootCounter, renderBootCounter, renderBootCountRecord } from '../../flash/bootcount.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('../../../rootfs/files/mcdebian-bootcount', import.meta.url));

const caiman = getBoard('wrt1200ac');
const counter = caiman.bootCounter!;
const layout = { ...counter, size: flashPartition(caiman, counter.partition)!.size };
const pages = layout.size / layout.recordStride;
const resetRecord = { count: 0, checksum: BOOT_COUNT_MAGIC };

/** Counts above 0 as the stand-in's U-Boot script writes them: checksum magic + count. */
const counted = (count: number) => ({ count, checksum: BOOT_COUNT_MAGIC + count });

interface Device {
  dir: string;
  file: string;
  /** Runs the script on the device; a failure is a result, not an exception. */
  run: (args: string[], env?: Record<string, string>) => Promise<{ exitCode?: number; stdout: string; stderr: string }>;
}

async function makeDevice(t: ExecutionContext, image: Buffer): Promise<Device> {
  const dir = await makeTempDir(t, 'mcdebian-bootcount-');
  const file = join(dir, 's_env.bin');
  await writeFile(file, image);
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const result = await execa('sh', [SCRIPT, ...args], {
      reject: false,
      stripFinalNewline: false,
      env: { MCDEBIAN_BOOTCOUNT_CONF: join(dir, 'no-bootcount.conf'), MCDEBIAN_BOOTCOUNT_DEVICE: file, MCDEBIAN_BOOTCOUNT_KIND: 'block', ...env },
    });
    return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  return { dir, file, run };
}

const readLog = async (device: Device) => parseBootCounter(await readFile(device.file), counter);

test('print --json describes an erased s_env as an empty log written from offset 0', async (t) => {
  const device = await makeDevice(t, renderBootCounter([], layout));
  const result = await device.run(['print', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), {
    device: device.file, kind: 'block', partition: 's_env', stride: 2048, count: 0, records: 0, nextOffset: 0, full: false,
  });
});

test('print shows the device, the count, the records and the next offset', async (t) => {
  const device = await makeDevice(t, renderBootCounter([resetRecord, counted(1), counted(2)], layout));
  const result = await device.run(['print']);
  t.is(result.stdout, `device: ${device.file} (block, s_env)\ncount: 2\nrecords: 3\nnext: 6144 (0x1800)\n`);
});

test('reset on an empty log writes the reset record at offset 0', async (t) => {
  const device = await makeDevice(t, renderBootCounter([], layout));
  const result = await device.run(['reset']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(await readFile(device.file), renderBootCounter([resetRecord], layout));
});

test('reset after three counted boots appends {magic, 0, magic} on the next page and leaves the rest alone', async (t) => {
  const records = [resetRecord, counted(1), counted(2), counted(3)];
  const device = await makeDevice(t, renderBootCounter(records, layout));
  const result = await device.run(['reset']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `boot counter on ${device.file} reset: count 3 -> 0, record written at offset 8192 (0x2000)\n`);
  const log = await readLog(device);
  t.is(log.count, 0);
  t.deepEqual(log.records.at(-1), { offset: 4 * 2048, ...resetRecord });
  t.is(log.nextOffset, 5 * 2048);
  t.deepEqual(await readFile(device.file), renderBootCounter([...records, resetRecord], layout));
});

test('reset writes nothing when the count is already 0', async (t) => {
  const image = renderBootCounter([resetRecord, counted(1), resetRecord], layout);
  const device = await makeDevice(t, image);
  const result = await device.run(['reset']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `boot counter on ${device.file} is already 0: nothing written\n`);
  t.deepEqual(await readFile(device.file), image);
});

test('a full log prints as full, and reset erases the partition and writes at offset 0', async (t) => {
  const records = Array.from({ length: pages }, (_, index) => (index % 3 === 0 ? resetRecord : counted(index % 3)));
  const device = await makeDevice(t, renderBootCounter(records, layout));
  const printed = JSON.parse((await device.run(['print', '--json'])).stdout);
  t.like(printed, { count: (pages - 1) % 3, records: pages, nextOffset: null, full: true });
  const result = await device.run(['reset']);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /log on .* is full: erasing s_env\n.*record written at offset 0 \(0x0\)\n$/);
  t.deepEqual(await readFile(device.file), renderBootCounter([resetRecord], layout));
});

test('a foreign magic is an error for print that names it, and reset erases it', async (t) => {
  const image = renderBootCounter([resetRecord, counted(1)], layout);
  image.writeUInt32LE(0xdead_beef, 2048);
  const device = await makeDevice(t, image);
  const printed = await device.run(['print']);
  t.is(printed.exitCode, 1);
  t.is(printed.stdout, '');
  t.is(printed.stderr,
    `mcdebian-bootcount: the record at offset 0x800 of ${device.file} has magic 0xdeadbeef, neither a boot counter record (0x20110811) ` +
    "nor erased flash (0xffffffff); 'mcdebian-bootcount reset' erases s_env and starts a new log\n");
  const reset = await device.run(['reset']);
  t.is(reset.exitCode, 0, reset.stderr);
  t.regex(reset.stdout, /has magic 0xdeadbeef, .*: erasing s_env\n/);
  t.deepEqual(await readFile(device.file), renderBootCounter([resetRecord], layout));
});

test('the record stride comes from /etc/mcdebian/bootcount.conf', async (t) => {
  const wide = { recordStride: 4096, size: layout.size };
  const device = await makeDevice(t, renderBootCounter([resetRecord, counted(1)], wide));
  const conf = join(device.dir, 'bootcount.conf');
  await writeFile(conf, '# the s_env boot counter of a test board\npartition=s_env\nstride=4096\n');
  const result = await device.run(['reset'], { MCDEBIAN_BOOTCOUNT_CONF: conf });
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(parseBootCounter(await readFile(device.file), wide).records.at(-1), { offset: 8192, ...resetRecord });
});

const USAGE_LINE = 'usage: mcdebian-bootcount print [--json] | reset\n';

const usage = test.macro({
  async exec(t, args: string[], error: string) {
    const device = await makeDevice(t, renderBootCounter([], layout));
    const result = await device.run(args);
    t.is(result.exitCode, 64, 'EX_USAGE (sysexits.h)');
    t.is(result.stdout, '');
    t.is(result.stderr, `mcdebian-bootcount: ${error}\n${USAGE_LINE}`);
  },
  title: (_given, args: string[]) => `${args.length === 0 ? 'no arguments' : JSON.stringify(args.join(' '))} names what is wrong, prints the usage and exits 64`,
});

test(usage, [], 'no command given: print or reset');
test(usage, ['count'], 'unknown command "count": print or reset');
test(usage, [''], 'unknown command "": print or reset');
test(usage, ['print', '--yaml'], 'print takes only --json, not "--yaml"');
test(usage, ['print', '--json', '--json'], 'print takes only --json, not "--json --json"');
test(usage, ['reset', 'now'], 'reset takes no arguments, not "now"');

test('--help prints the usage on stdout and exits 0', async (t) => {
  const device = await makeDevice(t, renderBootCounter([], layout));
  const result = await device.run(['--help']);
  t.is(result.exitCode, 0);
  t.is(result.stdout, USAGE_LINE);
});

/**
 * flash_erase and nandwrite that record their argv in argv.log; nandwrite keeps a copy of the page
 * it was given (the script removes its temporary file on exit).
 */
async function installFakeMtdUtils(dir: string): Promise<string> {
  const log = join(dir, 'argv.log');
  const fakes = {
    flash_erase: `printf 'flash_erase %s\\n' "$*" >> '${log}'`,
    nandwrite: `printf 'nandwrite %s\\n' "$*" >> '${log}'\neval "page=\\\${$#}"\ncp "$page" '${join(dir, 'page.bin')}'`,
  };
  for (const [name, body] of Object.entries(fakes)) {
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

const recordedArgv = async (dir: string) => (await readFile(join(dir, 'argv.log'), 'utf8')).trim().split('\n');

test('on MTD, reset writes the page with nandwrite at the next offset, padded, without erasing', async (t) => {
  const device = await makeDevice(t, renderBootCounter([resetRecord, counted(1), counted(2), counted(3)], layout));
  const bin = await installFakeMtdUtils(device.dir);
  const result = await device.run(['reset'], { MCDEBIAN_BOOTCOUNT_KIND: 'mtd', PATH: `${bin}:${process.env.PATH}` });
  t.is(result.exitCode, 0, result.stderr);
  const argv = await recordedArgv(device.dir);
  t.is(argv.length, 1);
  t.regex(argv[0]!, new RegExp(`^nandwrite -p -q -s 8192 ${device.file} \\S+$`));
  t.deepEqual(await readFile(join(device.dir, 'page.bin')), renderBootCountRecord({ count: 0 }, counter));
});

test('on MTD, reset of a full log runs flash_erase over the whole partition, then nandwrite at 0', async (t) => {
  const device = await makeDevice(t, renderBootCounter(Array.from({ length: pages }, (_, index) => counted(index + 1)), layout));
  const bin = await installFakeMtdUtils(device.dir);
  const result = await device.run(['reset'], { MCDEBIAN_BOOTCOUNT_KIND: 'mtd', PATH: `${bin}:${process.env.PATH}` });
  t.is(result.exitCode, 0, result.stderr);
  const argv = await recordedArgv(device.dir);
  t.is(argv[0], `flash_erase -q ${device.file} 0 0`);
  t.regex(argv[1]!, new RegExp(`^nandwrite -p -q -s 0 ${device.file} \\S+$`));
  t.is(argv.length, 2);
});

/** caiman's /proc/mtd with the Debian DTB (board/README.md, "MTD tables"), in the kernel's "mtdN: size erasesize "name"" form. */
const CAIMAN_PROC_MTD = [
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
  '',
].join('\n');

test('without an override, s_env is found by name in /proc/mtd', async (t) => {
  const dir = await makeTempDir(t, 'mcdebian-bootcount-');
  const procMtd = join(dir, 'mtd');
  await writeFile(procMtd, CAIMAN_PROC_MTD.replace('mtd2:', 'mtd12:'));
  const result = await execa('sh', [SCRIPT, 'print'], { reject: false, stripFinalNewline: false, env: { MCDEBIAN_PROC_MTD: procMtd, MCDEBIAN_BOOTCOUNT_CONF: join(dir, 'none') } });
  // the host has no /dev/mtd12: the error shows which device the name led to
  t.is(result.exitCode, 1);
  t.is(result.stderr, 'mcdebian-bootcount: cannot read /dev/mtd12\n');
});

test('with no s_env in /proc/mtd and no s_env GPT partition, the error names both places', async (t) => {
  const dir = await makeTempDir(t, 'mcdebian-bootcount-');
  const procMtd = join(dir, 'mtd');
  await writeFile(procMtd, CAIMAN_PROC_MTD.replace('"s_env"', '"other"'));
  const result = await execa('sh', [SCRIPT, 'print'], { reject: false, stripFinalNewline: false, env: { MCDEBIAN_PROC_MTD: procMtd, MCDEBIAN_BOOTCOUNT_CONF: join(dir, 'none') } });
  t.is(result.exitCode, 1);
  t.is(result.stderr, 'mcdebian-bootcount: no MTD partition named s_env in /proc/mtd and no /dev/disk/by-partlabel/s_env\n');
});
