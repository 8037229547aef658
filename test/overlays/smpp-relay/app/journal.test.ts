import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Journal, nodeFileSystem, type JournalFileSystem } from '../../../../overlays/smpp-relay/app/journal.js';

interface Entry { i: number; text?: string }

const test = anyTest as TestFn<{ dir: string }>;
const JOURNAL_MODULE = new URL('../../../../overlays/smpp-relay/app/journal.js', import.meta.url).href;

test.beforeEach(async (t) => {
  t.context.dir = await mkdtemp(join(tmpdir(), 'mcdebian-journal-'));
});

test.afterEach.always(async (t) => rm(t.context.dir, { recursive: true, force: true }));

const pathIn = (t: ExecutionContext<{ dir: string }>) => join(t.context.dir, 'spool', 'journal');
const entries = (from: number, to: number): Entry[] => Array.from({ length: to - from }, (_, k) => ({ i: from + k, text: `message ${from + k} ü\n"` }));
const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

/** fdatasync that counts its calls and can be made slow or failing. */
function countingFileSystem(options: { delayMs?: number } = {}) {
  const counts = { fdatasync: 0 };
  const fileSystem: Partial<JournalFileSystem> & { failure?: Error } = {
    fdatasync: async (fd) => {
      counts.fdatasync++;
      if (options.delayMs) await sleep(options.delayMs);
      if (fileSystem.failure) throw fileSystem.failure;
      return nodeFileSystem.fdatasync(fd);
    },
  };
  return { counts, fileSystem };
}

test('records come back in order after a close and a reopen, in a new 0600 file and 0700 directory', async (t) => {
  const path = pathIn(t);
  const first = await Journal.open<Entry>({ path });
  t.deepEqual(first.records, []);
  first.journal.append({ i: 0 });
  await first.journal.appendDurable({ i: 1, text: 'ü\n"\u2028' });
  first.journal.append({ i: 2 });
  await first.journal.close();
  t.throws(() => first.journal.append({ i: 3 }), { message: /closed/ });
  await t.throwsAsync(first.journal.appendDurable({ i: 3 }), { message: /closed/ });
  const second = await Journal.open<Entry>({ path });
  t.deepEqual(second.records, [{ i: 0 }, { i: 1, text: 'ü\n"\u2028' }, { i: 2 }]);
  t.is(second.repaired, undefined);
  t.is(second.journal.size, (await stat(path)).size);
  t.is((await stat(path)).mode & 0o777, 0o600);
  t.is((await stat(join(t.context.dir, 'spool'))).mode & 0o777, 0o700);
  await second.journal.close();
});

const tornTail = test.macro(async (t, tail: string) => {
  const path = pathIn(t);
  const { journal } = await Journal.open<Entry>({ path });
  entries(0, 3).forEach((entry) => journal.append(entry));
  await journal.close();
  const whole = (await stat(path)).size;
  await appendFile(path, tail);
  const reopened = await Journal.open<Entry>({ path });
  t.deepEqual(reopened.records, entries(0, 3));
  t.deepEqual(reopened.repaired, { droppedBytes: Buffer.byteLength(tail), line: 4 });
  t.is((await stat(path)).size, whole);
  await reopened.journal.appendDurable({ i: 3 });
  await reopened.journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records, [...entries(0, 3), { i: 3 }]);
});

test('a last line cut in the middle is dropped, reported, and cut off the file', tornTail, '1c291ca3 {"i":3,"te');
test('a whole last line with a bad checksum is dropped as torn', tornTail, '00000000 {"i":3}\n');
test('zeroes after the last line (a size that reached the disk before its data) are dropped', tornTail, '\0'.repeat(4096));

test('a bad line before the last is corruption: the open fails naming the file and line, and the file is kept', async (t) => {
  const path = pathIn(t);
  const { journal } = await Journal.open<Entry>({ path });
  entries(0, 4).forEach((entry) => journal.append(entry));
  await journal.close();
  const before = await readFile(path, 'utf8');
  await writeFile(path, before.replace('message 1', 'massage 1'));
  await t.throwsAsync(Journal.open<Entry>({ path }), { message: `${path}:2: bad checksum or JSON: the journal is corrupt; move it aside to start empty, or cut the line out by hand to keep the rest` });
  t.is((await readFile(path, 'utf8')).length, before.length);
});

test('concurrent appendDurable calls share fsyncs: the ones arriving during an fsync share the next', async (t) => {
  const { counts, fileSystem } = countingFileSystem({ delayMs: 30 });
  const { journal } = await Journal.open<Entry>({ path: pathIn(t), fileSystem });
  const first = journal.appendDurable({ i: 0 });
  await sleep(10);
  await Promise.all([first, ...entries(1, 500).map((entry) => journal.appendDurable(entry))]);
  t.is(counts.fdatasync, 2, 'one for the first record, one for the 499 that came while it ran');
  await Promise.all(entries(500, 1000).map((entry) => journal.appendDurable(entry)));
  t.is(counts.fdatasync, 3, 'callers in the same tick share one');
  await journal.flush();
  t.is(counts.fdatasync, 3, 'a flush with nothing new does not fsync');
  const running = journal.appendDurable({ i: 1000 });
  await sleep(10);
  journal.append({ i: 1001 });
  await running;
  await journal.flush();
  t.is(counts.fdatasync, 5, 'a record written during an fsync is not covered by it');
  await journal.close();
});

test('a failed fsync rejects every waiter and breaks the journal for good', async (t) => {
  const { fileSystem } = countingFileSystem({ delayMs: 10 });
  const path = pathIn(t);
  const { journal } = await Journal.open<Entry>({ path, fileSystem });
  await journal.appendDurable({ i: 0 });
  fileSystem.failure = errno('EIO');
  const failed = await Promise.allSettled(entries(1, 4).map((entry) => journal.appendDurable(entry)));
  t.true(failed.every((result) => result.status === 'rejected' && /fsync failed \(EIO: simulated\)/.test(String(result.reason))));
  fileSystem.failure = undefined;
  t.throws(() => journal.append({ i: 9 }), { message: /fsync failed/ }, 'a retried fsync could lie');
  await t.throwsAsync(journal.flush(), { message: /fsync failed/ });
  await t.throwsAsync(journal.compact([]), { message: /fsync failed/ });
  await t.throwsAsync(journal.close(), { message: /fsync failed/ });
  t.deepEqual((await Journal.open<Entry>({ path })).records, [{ i: 0 }, ...entries(1, 4)], 'written, so read back, though never reported durable');
});

test('a write that runs out of space rejects, leaves no partial line, and the journal goes on', async (t) => {
  const path = pathIn(t);
  let full = false;
  const fileSystem: Partial<JournalFileSystem> = {
    // as the kernel does: what fits is written, then ENOSPC
    writeSync: (fd, buffer, offset) => {
      if (full && offset > 0) throw errno('ENOSPC');
      return full ? nodeFileSystem.writeSync(fd, buffer.subarray(0, buffer.length - 5), offset) : nodeFileSystem.writeSync(fd, buffer, offset);
    },
  };
  const { journal } = await Journal.open<Entry>({ path, fileSystem });
  journal.append({ i: 0 });
  full = true;
  await t.throwsAsync(journal.appendDurable({ i: 1 }), { message: `${path}: could not append: ENOSPC: simulated` });
  t.throws(() => journal.append({ i: 1 }), { message: /ENOSPC/ });
  t.is(journal.size, (await stat(path)).size);
  full = false;
  await journal.appendDurable({ i: 2 });
  await journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records, [{ i: 0 }, { i: 2 }]);
});

test('compaction replaces the records and keeps every append made while it ran', async (t) => {
  const { fileSystem } = countingFileSystem({ delayMs: 20 });
  const path = pathIn(t);
  const { journal } = await Journal.open<Entry>({ path, fileSystem });
  entries(0, 100).forEach((entry) => journal.append(entry));
  const compaction = journal.compact([{ i: -1 }]);
  journal.append({ i: 100 });
  const durable = journal.appendDurable({ i: 101 });
  await sleep(30); // inside the compaction's fsyncs
  journal.append({ i: 102 });
  await Promise.all([compaction, durable]);
  journal.append({ i: 103 });
  t.is(journal.size, (await stat(path)).size);
  await journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records.map(({ i }) => i), [-1, 100, 101, 102, 103]);
  t.deepEqual(await readdir(join(t.context.dir, 'spool')), ['journal']);
});

/** Compaction with its nth write from now failing: the journal stays as it was, with every append. */
const failedCompaction = test.macro(async (t, failingWrite: number) => {
  const path = pathIn(t);
  let writes = 0;
  let failAt = -1;
  const fileSystem: Partial<JournalFileSystem> = {
    writeSync: (fd, buffer, offset) => {
      if (++writes === failAt) throw errno('ENOSPC');
      return nodeFileSystem.writeSync(fd, buffer, offset);
    },
  };
  const { journal } = await Journal.open<Entry>({ path, fileSystem });
  entries(0, 3).forEach((entry) => journal.append(entry));
  failAt = writes + failingWrite;
  const compaction = journal.compact([{ i: -1 }]);
  journal.append({ i: 3 });
  await t.throwsAsync(compaction, { message: `${path}.compact: could not write the compacted journal: ENOSPC: simulated` });
  await journal.appendDurable({ i: 4 });
  await journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records.map(({ i }) => i), [0, 1, 2, 3, 4]);
  t.deepEqual(await readdir(join(t.context.dir, 'spool')), ['journal']);
});

test('a compaction that cannot write its file fails and leaves the journal as it was', failedCompaction, 1);
test('an append that cannot be copied into the compaction\'s file fails the compaction, not the append', failedCompaction, 3);

/**
 * A writer that appends forever, every third record durably, printing each durable record's
 * index, and compacts now and then (to the same records: what matters is that none is lost).
 */
const WRITER = `
import { Journal } from ${JSON.stringify(JOURNAL_MODULE)};
const { journal, records } = await Journal.open({ path: process.argv[2] });
let compacting;
for (let i = records.length; ;) {
  const batch = [];
  for (let k = 0; k < 30; k++, i++) {
    const record = { i, text: 'x'.repeat(i % 500) };
    if (i % 200 === 0 && !compacting) compacting = journal.compact(records.slice()).finally(() => (compacting = undefined));
    records.push(record);
    if (i % 3 !== 0) journal.append(record);
    else { const n = i; batch.push(journal.appendDurable(record).then(() => process.stdout.write(n + '\\n'))); }
  }
  await Promise.all(batch);
}
`;

/** Runs the writer until it has reported `count` durable records, then kills it with SIGKILL. */
async function killWriterAfter(script: string, path: string, count: number): Promise<{ durable: number[]; stderr: string }> {
  const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += String(chunk);
    if (stdout.split('\n').length > count) child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  if (signal !== 'SIGKILL') throw new Error(`the writer ended on its own:\n${stderr}`);
  return { durable: stdout.split('\n').filter(Boolean).map(Number), stderr };
}

test('after kill -9, every record reported durable is there, in order, with at most a torn tail', async (t) => {
  const path = pathIn(t);
  const script = join(t.context.dir, 'writer.mjs');
  await writeFile(script, WRITER);
  for (let round = 0; round < 3; round++) {
    const { durable } = await killWriterAfter(script, path, 300);
    const { journal, records, repaired } = await Journal.open<Entry>({ path });
    t.true(records.every((record, index) => record.i === index), `round ${round}: the records are 0..n-1 without a gap`);
    t.true(durable.every((i) => i < records.length), `round ${round}: the last durable record ${durable.at(-1)} is among the ${records.length}`);
    t.true(repaired === undefined || repaired.line === records.length + 1);
    await journal.close();
  }
});
