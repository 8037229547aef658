/**
 * The environment codec against libubootenv-tool's fw_printenv/fw_setenv (the tools trixie ships,
 * flash/README.md, "The U-Boot environment") on a plain file standing in for the u_env partition, at the real boards' sizes.
 * Byte for byte: a golden comparison with the real tool, not our reading of our own output.
 */
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { getBoard } from '../../board/index.js';
import type { Board } from '../../board/board.js';
import { parseEnvironment, serializeEnvironment, setVariables } from '../../flash/uboot-env.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testWithTools } from '../helpers/tools.js';
import { caimanStockVariables, mambaStockVariables } from './stock-env.js';

const tools = { fw_setenv: 'libubootenv-tool', fw_printenv: 'libubootenv-tool' };
const boards: [Board, Readonly<Record<string, string>>][] = [
  [getBoard('wrt1200ac'), caimanStockVariables],
  [getBoard('wrt1900ac-v1'), mambaStockVariables],
];

interface FakeEnvDevice {
  config: string;
  file: string;
  /** An empty default environment for fw_setenv's -f, so an erased block starts empty. */
  emptyDefault: string;
  size: number;
}

/** A file the size of the board's u_env partition, erased (0xff), and an fw_env.config naming it. */
async function makeDevice(t: ExecutionContext, board: Board): Promise<FakeEnvDevice> {
  const env = board.ubootEnv!;
  const partition = board.nand!.partitions.find((candidate) => candidate.name === env.partition)!;
  const dir = await makeTempDir(t, 'mcdebian-uboot-env-');
  const file = join(dir, 'u_env.bin');
  await writeFile(file, Buffer.alloc(partition.size, 0xff));
  const config = join(dir, 'fw_env.config');
  // fw_env.config columns: device, offset, environment size, sector size [OW-ENV; McD fw_env.config]
  await writeFile(config, `${file} 0x${env.offset.toString(16)} 0x${env.size.toString(16)} 0x${env.sectorSize.toString(16)}\n`);
  const emptyDefault = join(dir, 'empty.env');
  await writeFile(emptyDefault, '');
  return { config, file, emptyDefault, size: env.size };
}

/** One fw_setenv run per variable: the CLI form every libubootenv version has (null deletes). */
async function fwSetenv(device: FakeEnvDevice, changes: Readonly<Record<string, string | null>>): Promise<void> {
  for (const [name, value] of Object.entries(changes)) {
    await execa('fw_setenv', ['-c', device.config, '-f', device.emptyDefault, name, ...(value === null ? [] : [value])]);
  }
}

async function readEnvironment(device: FakeEnvDevice): Promise<Buffer> {
  return (await readFile(device.file)).subarray(0, device.size);
}

for (const [board, stock] of boards) {
  const sizeText = `0x${board.ubootEnv!.size.toString(16)}`;

  testWithTools(tools, `${board.id}: what fw_setenv builds from an erased ${sizeText} block is byte for byte what serializeEnvironment makes`, async (t) => {
    const device = await makeDevice(t, board);
    await fwSetenv(device, stock);
    const written = await readEnvironment(device);
    t.deepEqual(Object.fromEntries(parseEnvironment(written, board.ubootEnv!).variables), { ...stock });
    t.true(serializeEnvironment(stock, board.ubootEnv!).equals(written));
    // fw_setenv writes only the environment; the rest of the partition stays erased
    t.true((await readFile(device.file)).subarray(device.size).every((byte) => byte === 0xff));
  });

  testWithTools(tools, `${board.id}: fw_printenv reads every variable serializeEnvironment wrote`, async (t) => {
    const device = await makeDevice(t, board);
    await writeFile(device.file, serializeEnvironment(stock, board.ubootEnv!));
    const { stdout } = await execa('fw_printenv', ['-c', device.config]);
    const expected = Object.entries(stock).map(([name, value]) => `${name}=${value}`).sort();
    t.deepEqual(stdout.split('\n'), expected);
    const bootPart = await execa('fw_printenv', ['-c', device.config, '-n', board.ubootEnv!.variables.bootPart]);
    t.is(bootPart.stdout, '1');
  });

  testWithTools(tools, `${board.id}: setVariables flipping the slot matches fw_setenv making the same changes`, async (t) => {
    const names = board.ubootEnv!.variables;
    const changes = {
      [names.bootPart]: '2',
      [names.bootCmd]: board.ubootEnv!.slotBootCommands[2],
      [names.priKernSize]: '0xa00000',
      [names.altKernSize]: '0xa00000',
      mcdebian_slot: 'kernel2',
      [names.defaultLoadAddr]: null,
    };
    const device = await makeDevice(t, board);
    const before = serializeEnvironment(stock, board.ubootEnv!);
    await writeFile(device.file, before);
    await fwSetenv(device, changes);
    t.true(setVariables(before, changes, board.ubootEnv!).equals(await readEnvironment(device)));
  });
}

const caiman = getBoard('wrt1200ac');

testWithTools(tools, 'both fw_setenv and setVariables write an unsorted block back sorted', async (t) => {
  const device = await makeDevice(t, caiman);
  const unsorted = Buffer.alloc(device.size);
  unsorted.write('zeta=1\0bootcmd=run nandboot\0alpha=2\0\0', 4, 'latin1');
  unsorted.writeUInt32LE(crc32(unsorted.subarray(4)), 0);
  await writeFile(device.file, unsorted);
  await fwSetenv(device, { boot_part: '1' });
  const ours = setVariables(unsorted, { boot_part: '1' }, caiman.ubootEnv!);
  const sorted = 'alpha=2\0boot_part=1\0bootcmd=run nandboot\0zeta=1\0\0';
  t.is(ours.toString('latin1', 4, 4 + sorted.length), sorted);
  t.true(ours.equals(await readEnvironment(device)));
});

testWithTools(tools, 'fw_setenv refuses an erased block without a default environment, and writes nothing', async (t) => {
  const device = await makeDevice(t, caiman);
  const result = await execa('fw_setenv', ['-c', device.config, '-f', join(device.file, '..', 'missing.env'), 'a', '1'], { reject: false });
  t.not(result.exitCode, 0);
  t.true((await readFile(device.file)).every((byte) => byte === 0xff));
});

testWithTools(tools, 'a redundant copy written by fw_setenv matches serializeEnvironment with its flags byte', async (t) => {
  const dir = await makeTempDir(t, 'mcdebian-uboot-env-');
  const [first, second] = [join(dir, 'env1.bin'), join(dir, 'env2.bin')];
  await writeFile(first, Buffer.alloc(0x2000));
  await writeFile(second, Buffer.alloc(0x2000));
  const config = join(dir, 'fw_env.config');
  await writeFile(config, `${first} 0x0 0x2000\n${second} 0x0 0x2000\n`);
  await writeFile(join(dir, 'empty.env'), '');
  const device = { config, file: first, emptyDefault: join(dir, 'empty.env'), size: 0x2000 };
  await fwSetenv(device, { a: '1', b: '2' });
  // two writes alternate copies: the second lands in env1 with flags incremented to 2
  const copy = await readFile(first);
  const layout = { size: 0x2000, redundant: true };
  t.is(parseEnvironment(copy, layout).flags, 2);
  t.true(serializeEnvironment({ a: '1', b: '2' }, { ...layout, flags: 2 }).equals(copy));
  t.true(setVariables(copy, { c: '3' }, layout).equals((await fwSetenv(device, { c: '3' }), await readFile(second))));
});
