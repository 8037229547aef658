/** build/status/system.ts on a recorded round of a booted qemu-armhf, and on the cases it did not show. */
import test from 'ava';
import { execa } from 'execa';
import { crc32 } from 'node:zlib';
import { getBoard } from '../../../board/index.js';
import { parseKernels, parseSlotHeader, parseSystem, systemCommands } from '../../../build/status/system.js';
import { recordedOutputs } from '../../helpers/status-fixtures.js';

const board = getBoard('qemu-armhf');

test('the recorded qemu-armhf round reads as slot 1 booted, slot 2 the other, counter 0, no kernel update', (t) => {
  const system = parseSystem(board, recordedOutputs('router-round', 'system'));
  const image = { name: 'McDebian qemu-armhf', built: '2026-12-06T22:21:49Z', bytes: 13_243_872 };
  t.deepEqual(system, {
    hostname: 'branch7',
    uptimeSeconds: 551,
    now: 1_796_598_671,
    state: 'running',
    failedUnits: [],
    kernel: { running: '6.12.117+deb13-armmp', pending: [] },
    slots: {
      booted: 1, other: 2, next: 1,
      images: [
        { slot: 1, partition: 'kernel1', device: '/dev/disk/by-partlabel/kernel1', image },
        { slot: 2, partition: 'kernel2', device: '/dev/disk/by-partlabel/kernel2', image },
      ],
    },
    bootCounter: { count: 0 },
  });
});

test('a board without slots or boot counter runs none of their commands', (t) => {
  const names = systemCommands(getBoard('x86-64')).map(([name]) => name);
  t.deepEqual(names, ['hostname', 'clock', 'cmdline', 'state', 'failed', 'kernels']);
});

/** The kernels command's own sort (GNU sort -V) over a /boot listing, as on the device. */
async function sortedKernels(installed: string[], running: string): Promise<string> {
  const lines = [...installed.map((version) => `installed ${version}`), `running ${running}`].join('\n');
  return String((await execa('sort', ['-k', '2,2V', '-k', '1,1r'], { input: `${lines}\n` })).stdout);
}

test('a newer kernel in /boot than the running one is a pending update; older ones are not', async (t) => {
  const output = await sortedKernels(['6.12.9+deb13-armmp', '6.12.117+deb13-armmp', '6.12.10+deb13-armmp'], '6.12.10+deb13-armmp');
  t.deepEqual(parseKernels(output), { running: '6.12.10+deb13-armmp', pending: ['6.12.117+deb13-armmp'] });
});

test('a running kernel whose package is gone from /boot still finds the newer one', async (t) => {
  const output = await sortedKernels(['6.12.41+deb13-armmp'], '6.12.38+deb13-armmp');
  t.deepEqual(parseKernels(output), { running: '6.12.38+deb13-armmp', pending: ['6.12.41+deb13-armmp'] });
});

test('failed units and a degraded system are read from their commands', (t) => {
  const outputs = recordedOutputs('router-round', 'system').map((output) => ({ ...output }));
  outputs[3] = { stdout: 'degraded\n', stderr: '', code: 1 };
  outputs[4] = { stdout: 'mcdebian-smpp-relay.service loaded failed failed McDebian smpp-relay\nnamed.service loaded failed failed BIND Domain Name Server\n', stderr: '', code: 0 };
  const system = parseSystem(board, outputs);
  t.is(system.state, 'degraded');
  t.deepEqual(system.failedUnits, ['mcdebian-smpp-relay.service', 'named.service']);
});

/** A uImage header as mkimage writes it: magic, header CRC, time, size, addresses, type, name. */
function header(name: string): Buffer {
  const bytes = Buffer.alloc(64);
  bytes.writeUInt32BE(0x2705_1956, 0);
  bytes.writeUInt32BE(1_700_000_000, 8);
  bytes.writeUInt32BE(4096, 12);
  bytes.write(name, 32, 'latin1');
  bytes.writeUInt32BE(crc32(bytes), 4);
  return bytes;
}

const slotHeaders = test.macro({
  exec(t, hex: string, expected: ReturnType<typeof parseSlotHeader>) {
    t.deepEqual(parseSlotHeader(hex), expected);
  },
  title: (given) => `a slot ${given}`,
});

test('with a valid header shows its name, time and size', slotHeaders, header('McDebian wrt1200ac').toString('hex'), { image: { name: 'McDebian wrt1200ac', built: '2023-11-14T22:13:20Z', bytes: 4096 } });
test('of erased flash holds no uImage', slotHeaders, 'ff'.repeat(64), { problem: 'holds no uImage (no 0x27051956 magic)' });
test('whose header was damaged says so', slotHeaders, Buffer.concat([header('x').subarray(0, 40), Buffer.from('damaged!'), header('x').subarray(48)]).toString('hex'), { problem: 'has a uImage header with a wrong CRC' });
test('that could not be read says so', slotHeaders, '', { problem: 'could not be read' });
