import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VerificationError } from '../../build/core/errors.js';
import { flashImage, verifyDevice, type FlashProgress } from '../../flash/usb.js';
import { makeFakeDevice } from '../helpers/fake-device.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A fake stick filled with 0xff, so that written zeros show. */
async function setup(t: ExecutionContext, deviceSize = 16 * MiB) {
  const dir = await makeTempDir(t);
  const { device } = await makeFakeDevice(dir, { size: deviceSize, fill: 0xff });
  return { dir, device };
}

function checkProgress(t: ExecutionContext, events: FlashProgress[], total: number) {
  t.deepEqual([...new Set(events.map((event) => event.phase))], ['write', 'verify']);
  for (const phase of ['write', 'verify'] as const) {
    const own = events.filter((event) => event.phase === phase);
    t.true(own.every((event, index) => event.total === total && event.speed >= 0 && event.eta >= 0 && (index === 0 || event.bytes > own[index - 1]!.bytes)), `${phase} bytes grow`);
    t.is(own.at(-1)?.bytes, total);
  }
}

test('flashImage writes a random image byte for byte and leaves the rest of the device alone', async (t) => {
  const { dir, device } = await setup(t);
  const image = join(dir, 'usb.img');
  const data = randomBytes(6 * MiB + 123);
  await writeFile(image, data);
  const events: FlashProgress[] = [];
  const result = await flashImage(image, device, { kind: 'file', onProgress: (event) => events.push(event) });
  const written = await readFile(device);
  t.true(written.subarray(0, data.length).equals(data));
  t.true(written.subarray(data.length).every((byte) => byte === 0xff));
  t.is(written.length, 16 * MiB);
  t.deepEqual(result, { bytes: data.length, sha256: sha256(data), cacheFlushed: true });
  checkProgress(t, events, data.length);
  t.is(events.filter((event) => event.phase === 'write').length, 3, 'a report at 0 and one per 4 MiB chunk');
});

test('a sparse image is written in full, holes as zeros over the old content', async (t) => {
  const { dir, device } = await setup(t);
  const image = join(dir, 'sparse.img');
  await writeFile(image, '');
  await truncate(image, 12 * MiB);
  const handle = await open(image, 'r+');
  await handle.write(Buffer.from('MCDEBIAN'), 0, 8, 9 * MiB);
  await handle.close();
  await flashImage(image, device, { kind: 'file' });
  const written = await readFile(device);
  t.true(written.subarray(0, 12 * MiB).equals(await readFile(image)));
  t.true(written.subarray(0, 9 * MiB).every((byte) => byte === 0), 'the hole overwrote the 0xff');
});

test('a corruption between write and verify is a VerificationError with both hashes', async (t) => {
  const { dir, device } = await setup(t);
  const image = join(dir, 'usb.img');
  const data = randomBytes(2 * MiB);
  await writeFile(image, data);
  const corrupt = async () => {
    const handle = await open(device, 'r+');
    await handle.write(Buffer.from([data[MiB]! ^ 1]), 0, 1, MiB);
    await handle.close();
  };
  const error = await t.throwsAsync(flashImage(image, device, { kind: 'file', afterWrite: corrupt }), { instanceOf: VerificationError });
  t.is(error?.expected, sha256(data));
  t.not(error?.actual, sha256(data));
  t.regex(error?.hint ?? '', /try another stick/);
});

test('an image that does not match the manifest\'s sha256 fails before verifying', async (t) => {
  const { dir, device } = await setup(t);
  const image = join(dir, 'usb.img');
  await writeFile(image, randomBytes(MiB));
  const events: FlashProgress[] = [];
  const error = await t.throwsAsync(flashImage(image, device, { kind: 'file', expectedSha256: '0'.repeat(64), onProgress: (event) => events.push(event) }), { instanceOf: VerificationError });
  t.regex(error?.message ?? '', /against manifest\.json/);
  t.false(events.some((event) => event.phase === 'verify'));
});

test('the manifest\'s sha256, when it matches, is what the device is verified against', async (t) => {
  const { dir, device } = await setup(t);
  const image = join(dir, 'usb.img');
  const data = randomBytes(MiB);
  await writeFile(image, data);
  t.is((await flashImage(image, device, { kind: 'file', expectedSha256: sha256(data) })).sha256, sha256(data));
});

test('verifyDevice reports a device shorter than the image as a size mismatch', async (t) => {
  const { device } = await setup(t, MiB);
  const error = await t.throwsAsync(verifyDevice(device, { bytes: 2 * MiB, sha256: '' }), { instanceOf: VerificationError });
  t.is(error?.expected, String(2 * MiB));
  t.is(error?.actual, String(MiB));
  t.is((await stat(device)).size, MiB);
});
