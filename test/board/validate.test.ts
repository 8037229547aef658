import test from 'ava';
import type { Board, MtdPartition } from '../../board/board.js';
import { boards, getBoard } from '../../board/index.js';
import { validateBoard } from '../../board/validate.js';

for (const board of boards) {
  test(`the shipped board ${board.id} validates`, (t) => {
    t.deepEqual(validateBoard(board), []);
  });
}

const caiman = getBoard('wrt1200ac');

function withPartitions(edit: (partitions: MtdPartition[]) => MtdPartition[]): Board {
  return { ...caiman, nand: { ...caiman.nand!, partitions: edit(caiman.nand!.partitions.map((p) => ({ ...p }))) } };
}

function replacePartition(name: string, change: Partial<MtdPartition>): Board {
  return withPartitions((ps) => ps.map((p) => (p.name === name ? { ...p, ...change } : p)));
}

const rejects = test.macro({
  exec(t, board: Board, expected: RegExp) {
    const problems = validateBoard(board);
    t.true(problems.some((problem) => expected.test(problem)), `expected ${expected} among:\n${problems.join('\n')}`);
  },
  title: (given) => `a board is rejected when ${given}`,
});

test('a partition runs past the end of the flash', rejects, replacePartition('syscfg', { size: 0x280_0000 }),
  /partition syscfg .*ends at 0x8200000, past the end of the 0x8000000-byte flash/);
test('a partition offset is not erase-block aligned', rejects, replacePartition('s_env', { offset: 0x24_1000 }),
  /partition s_env .*offset is not aligned to the 0x20000 erase block/);
test('a partition size is not a whole number of erase blocks', rejects, replacePartition('u_env', { size: 0x3_f000 }),
  /partition u_env .*size is not a multiple of the 0x20000 erase block/);
test('two partitions overlap without declaring it', rejects, replacePartition('devinfo', { offset: 0x80_0000, size: 0x30_0000 }),
  /partitions devinfo and kernel1 overlap/);
test('a declared containment is not real', rejects, replacePartition('rootfs1', { offset: 0x300_0000, size: 0x40_0000 }),
  /declared to contain rootfs1, but rootfs1 is not wholly inside it/);
test('containment names a missing partition', rejects, replacePartition('kernel1', { contains: ['rootfs9'] }),
  /contains names "rootfs9", which does not exist/);
test('a partition name is used twice', rejects, replacePartition('rootfs2', { name: 'rootfs1', offset: 0x380_0000 }),
  /the name is used twice/);
test('the environment partition is missing', rejects, withPartitions((ps) => ps.filter((p) => p.name !== 'u_env')),
  /ubootEnv.partition "u_env" is not in the partition table/);
test('the environment is larger than its partition', rejects, { ...caiman, ubootEnv: { ...caiman.ubootEnv!, size: 0x8_0000 } },
  /ubootEnv: offset\+size 0x80000 exceeds partition u_env/);
test('a kernel slot is read-only', rejects, replacePartition('kernel2', { readOnly: true }),
  /slot 2 partition "kernel2" is read-only/);
test('the read window is larger than the kernel slot', rejects, { ...caiman, kernelReadWindow: { bytes: 0x300_0000, confirmed: true } },
  /kernelReadWindow 0x3000000 is larger than partition kernel1/);
test('a NAND board has no boot counter', rejects, { ...caiman, bootCounter: undefined },
  /bootMethod nand-uimage needs bootCounter/);
test('a NAND board does not append its DTB', rejects, { ...caiman, dtb: { ...caiman.dtb!, placement: 'uimage-part' } },
  /needs dtb.placement "appended"/);
test('the wan port is also a LAN port', rejects, { ...caiman, network: { kind: 'router', lanPorts: ['lan1', 'wan'], wanPort: 'wan' } },
  /wan port "wan" is also a LAN port/);
test('there are no root modules', rejects, { ...caiman, rootModules: [] }, /rootModules is empty/);
test('the id is not kebab-case', rejects, { ...caiman, id: 'WRT_1200' }, /must be lower-case kebab-case/);
test('the boot counter stride is not the page size', rejects, { ...caiman, bootCounter: { partition: 's_env', recordStride: 512 } },
  /recordStride must equal the NAND page size/);
