/** The U-Boot environment codec on its own: layouts of the real boards, the stock variables, errors. */
import test from 'ava';
import { crc32 } from 'node:zlib';
import { getBoard } from '../../board/index.js';
import {
  EnvironmentCrcError,
  EnvironmentFormatError,
  EnvironmentOverflowError,
  findEnvironmentSize,
  parseEnvironment,
  serializeEnvironment,
  setVariables,
} from '../../flash/uboot-env.js';
import { caimanStockVariables, mambaStockVariables } from './stock-env.js';

const caiman = getBoard('wrt1200ac').ubootEnv!;
const mamba = getBoard('wrt1900ac-v1').ubootEnv!;

/** A block made by hand, so that the parser is not only checked against the serializer. */
function handMade(body: string, size: number): Buffer {
  const image = Buffer.alloc(size);
  image.write(body, 4, 'latin1');
  image.writeUInt32LE(crc32(image.subarray(4)), 0);
  return image;
}

const roundTrip = test.macro({
  exec(t, env: typeof caiman, variables: Readonly<Record<string, string>>) {
    const image = serializeEnvironment(variables, env);
    t.is(image.length, env.size);
    const parsed = parseEnvironment(image, env);
    t.true(parsed.crcOk);
    t.deepEqual(Object.fromEntries(parsed.variables), { ...variables });
    t.is(parsed.variables.get(env.variables.bootPart), '1');
    t.is(parsed.variables.get(env.variables.bootCmd), 'run nandboot');
  },
  title: (board = '') => `the stock ${board} environment the tests quote round-trips at the board's size`,
});
test('caiman', roundTrip, caiman, caimanStockVariables);
test('mamba', roundTrip, mamba, mambaStockVariables);

test('a hand-made block parses in on-flash order, with its used bytes', (t) => {
  const parsed = parseEnvironment(handMade('priKernSize=0x0600000\0boot_part=2\0\0', 0x2_0000), caiman);
  t.deepEqual([...parsed.variables], [['priKernSize', '0x0600000'], ['boot_part', '2']]);
  t.is(parsed.usedBytes, 4 + 22 + 12 + 1);
});

test('serializing sorts names in byte order and pads with zeros, whatever the input order', (t) => {
  const image = serializeEnvironment(new Map([['zeta', '1'], ['Zeta', '2'], ['alpha', '3']]), caiman);
  t.is(image.toString('latin1', 4, 27), 'Zeta=2\0alpha=3\0zeta=1\0\0');
  t.true(image.subarray(27).every((byte) => byte === 0));
  t.is(image.readUInt32LE(0), crc32(image.subarray(4)));
});

test('setVariables flips the slot and raises the read window in one image, as OW-UP does', (t) => {
  const names = caiman.variables;
  const before = serializeEnvironment(caimanStockVariables, caiman);
  const after = setVariables(before, {
    [names.bootPart]: '2',
    [names.bootCmd]: caiman.slotBootCommands[2],
    [names.priKernSize]: '0x0a00000',
    [names.altKernSize]: '0x0a00000',
    priFwSize: null,
    notThere: null,
  }, caiman);
  const variables = parseEnvironment(after, caiman).variables;
  t.is(variables.get('boot_part'), '2');
  t.is(variables.get('bootcmd'), 'run altnandboot');
  t.is(variables.get('priKernSize'), '0x0a00000');
  t.false(variables.has('priFwSize'));
  t.is(variables.get('nandboot'), caimanStockVariables.nandboot);
});

test('a repeated name keeps its last value, as U-Boot and libubootenv do', (t) => {
  const parsed = parseEnvironment(handMade('a=1\0b=2\0a=3\0\0', 0x100), { size: 0x100 });
  t.deepEqual(Object.fromEntries(parsed.variables), { a: '3', b: '2' });
});

test('the 0x20000 environment is found inside the whole 0x40000 u_env partition', (t) => {
  const partition = Buffer.alloc(0x4_0000, 0xff);
  serializeEnvironment(caimanStockVariables, caiman).copy(partition);
  t.is(findEnvironmentSize(partition, [0x4_0000, 0x2_0000]), 0x2_0000);
  t.is(findEnvironmentSize(Buffer.alloc(0x4_0000, 0xff), [0x4_0000, 0x2_0000]), undefined);
});

test('a redundant copy carries its flags byte after the CRC, and setVariables increments it', (t) => {
  const layout = { size: 0x2000, redundant: true };
  const image = serializeEnvironment({ a: '1' }, { ...layout, flags: 7 });
  t.is(image[4], 7);
  t.is(image.toString('latin1', 5, 10), 'a=1\0\0');
  t.is(parseEnvironment(setVariables(image, { b: '2' }, layout), layout).flags, 8);
});

test('a bad CRC names the stored and the computed CRC', (t) => {
  const image = serializeEnvironment({ boot_part: '1' }, caiman);
  image.write('2', 4 + 'boot_part='.length, 'latin1');
  const error = t.throws(() => parseEnvironment(image, caiman), { instanceOf: EnvironmentCrcError });
  t.is(error.expected, `0x${image.readUInt32LE(0).toString(16).padStart(8, '0')}`);
  t.is(error.actual, `0x${crc32(image.subarray(4)).toString(16).padStart(8, '0')}`);
  t.false(error.erased);
  t.false(parseEnvironment(image, { ...caiman, acceptBadCrc: true }).crcOk);
});

test('an erased block is reported as erased, with the way to save an environment', (t) => {
  const error = t.throws(() => parseEnvironment(Buffer.alloc(0x2_0000, 0xff), caiman), { instanceOf: EnvironmentCrcError });
  t.true(error.erased);
  t.regex(error.hint ?? '', /saveenv/);
});

const badBlock = test.macro({
  exec(t, body: Buffer | string, message: RegExp) {
    const image = typeof body === 'string' ? handMade(body, 0x40) : body;
    t.throws(() => parseEnvironment(image, { size: 0x40 }), { instanceOf: EnvironmentFormatError, message });
  },
  title: (what = '') => `a block with ${what} is refused`,
});
test('no terminating NUL', badBlock, handMade('a=1\0'.padEnd(60, 'x'), 0x40), /no terminating NUL/);
test('an entry without "="', badBlock, 'a=1\0junk\0\0', /offset 0x00000008 has no "="/);
test('an entry with an empty name', badBlock, '=1\0\0', /empty name/);
test('fewer bytes than its size', badBlock, Buffer.alloc(0x20), /shorter than its size/);

test('variables that do not fit say by how many bytes they are over', (t) => {
  // header 4 + "a=" 2 + value + NUL 1 + terminator 1: a 0x40 block holds a 56-byte value
  t.notThrows(() => serializeEnvironment({ a: 'x'.repeat(56) }, { size: 0x40 }));
  const error = t.throws(() => serializeEnvironment({ a: 'x'.repeat(59) }, { size: 0x40 }), { instanceOf: EnvironmentOverflowError });
  t.is(error.overBy, 3);
  t.regex(error.message, /3 bytes over/);
});

const badVariable = test.macro({
  exec(t, name: string, value: string, message: RegExp) {
    t.throws(() => serializeEnvironment(new Map([[name, value]]), caiman), { instanceOf: EnvironmentFormatError, message });
    const stock = serializeEnvironment(caimanStockVariables, caiman);
    t.throws(() => setVariables(stock, new Map([[name, value]]), caiman), { instanceOf: EnvironmentFormatError });
  },
  title: (what = '') => `a variable ${what} is refused`,
});
test('named with "="', badVariable, 'a=b', '1', /contains "="/);
test('with an empty name', badVariable, '', '1', /is empty/);
test('named with a leading blank', badVariable, ' bootcmd', '1', /starts with a blank/);
test('named as a comment', badVariable, '#bootcmd', '1', /starts with a blank or "#"/);
test('with a NUL in its value', badVariable, 'bootcmd', 'run\0x', /value contains a NUL/);
test('with a NUL in its name', badVariable, 'boot\0cmd', '1', /name contains a NUL/);
test('with characters beyond latin1', badVariable, 'name', 'caf\u{1F600}', /beyond one byte/);
