import test from 'ava';
import { UserError } from '../../build/core/errors.js';
import { boardIds, getBoard } from '../../board/index.js';

test('the catalogue has the seven boards: five Linksys routers, the QEMU stand-in and x86-64', (t) => {
  t.deepEqual([...boardIds].sort(), ['qemu-armhf', 'wrt1200ac', 'wrt1900ac-v1', 'wrt1900ac-v2', 'wrt1900acs', 'wrt3200acm', 'x86-64']);
});

test('an unknown board id suggests the nearest one and lists all', (t) => {
  const error = t.throws(() => getBoard('wrt1200'), { instanceOf: UserError });
  t.regex(error.message, /unknown board "wrt1200" \(did you mean "wrt1200ac"\?\)/);
  t.regex(error.hint ?? '', /wrt1900ac-v1/);
});

test('mamba uses the lower_case U-Boot names and a 4 MiB read window', (t) => {
  const mamba = getBoard('wrt1900ac-v1');
  t.is(mamba.ubootEnv?.variables.priKernSize, 'pri_kern_size');
  t.is(mamba.kernelReadWindow?.bytes, 0x40_0000);
  t.is(mamba.network.kind === 'router' && mamba.network.wanPort, 'internet');
});

test('the 385 boards use camelCase U-Boot names and a 6 MiB read window', (t) => {
  for (const id of ['wrt1200ac', 'wrt1900ac-v2', 'wrt1900acs', 'wrt3200acm']) {
    const board = getBoard(id);
    t.is(board.ubootEnv?.variables.priKernSize, 'priKernSize', id);
    t.is(board.kernelReadWindow?.bytes, 0x60_0000, id);
  }
});

test('fw_env.config geometry differs between mamba, rango and the 128 MiB 385 boards', (t) => {
  const geometry = (id: string) => {
    const env = getBoard(id).ubootEnv!;
    return [env.offset, env.size, env.sectorSize];
  };
  t.deepEqual(geometry('wrt1200ac'), [0, 0x2_0000, 0x4_0000]);
  t.deepEqual(geometry('wrt1900ac-v1'), [0, 0x4_0000, 0x2_0000]);
  t.deepEqual(geometry('wrt3200acm'), [0, 0x2_0000, 0x2_0000]);
});
