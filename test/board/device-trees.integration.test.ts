/**
 * The board catalogue against the kernel's own device trees: the DTBs in the Debian kernel
 * package the boards boot, read from the host's mirror and decompiled with dtc.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MtdPartition } from '../../board/board.js';
import { boards } from '../../board/index.js';
import { runCommand } from '../../build/core/exec.js';
import { readHostMirrors } from '../../rootfs/apt-sources.js';
import { fetchKernelPackageInfo, type KernelPackageInfo } from '../../rootfs/debian-archive.js';
import { realMirrorUnavailable } from '../helpers/real-mirror.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testNeeding } from '../helpers/tools.js';

/** Partitions of the DT's fixed-partitions node, in node order, from `dtc -O dts` output. */
function partitionsFromDts(dts: string): MtdPartition[] {
  const partitions: MtdPartition[] = [];
  for (const match of dts.matchAll(/partition@[0-9a-f]+ \{([^}]*)\}/g)) {
    const body = match[1]!;
    const label = /label = "([^"]+)"/.exec(body)?.[1];
    const reg = /reg = <(0x[0-9a-f]+) (0x[0-9a-f]+)>/.exec(body);
    if (!label || !reg) throw new Error(`partition without label or reg: ${body}`);
    partitions.push({ name: label, offset: Number(reg[1]), size: Number(reg[2]), readOnly: /\bread-only;/.test(body) });
  }
  return partitions;
}

const nandBoards = boards.filter((board) => board.nand && board.dtb?.source === 'debian-kernel');
const declare = testNeeding({ tools: { dtc: 'device-tree-compiler' }, unavailable: await realMirrorUnavailable() });
let info: Promise<KernelPackageInfo> | undefined;

/** Downloads the kernel package's DTBs once for all the boards. */
async function kernelPackage(): Promise<KernelPackageInfo> {
  info ??= readHostMirrors().then(({ mirror }) => fetchKernelPackageInfo({
    suites: [{ mirror: mirror ?? '', suite: 'trixie' }],
    arch: 'armhf',
    metaPackage: 'linux-image-armmp',
    dtbFiles: nandBoards.map((board) => board.dtb!.file),
    timeoutMs: 120_000,
  }));
  return info;
}

for (const board of nandBoards) {
  declare(`${board.id}'s partition table and compatible are exactly those of ${board.dtb!.file}`, async (t) => {
    const dtb = (await kernelPackage()).dtbs[board.dtb!.file];
    if (!dtb) return t.fail(`${board.dtb!.file} is not in the kernel package`);
    const file = join(await makeTempDir(t), board.dtb!.file);
    await writeFile(file, dtb.data);
    const { stdout: dts } = await runCommand(['dtc', '-I', 'dtb', '-O', 'dts', '-q', file], { debianPackage: 'device-tree-compiler' });
    const expected = board.nand!.partitions.map(({ contains: _contains, ...partition }) => partition);
    t.deepEqual(partitionsFromDts(dts), expected);
    const { stdout: compatible } = await runCommand(['fdtget', file, '/', 'compatible']);
    t.is(compatible.split(' ')[0], board.compatible);
  });
}
