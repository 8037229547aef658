import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeLine } from '../../../overlays/runtime/journal-format.js';
import type { QuarantineEntry } from '../../../overlays/runtime/journal-quarantine.js';
import { Journal, JournalUnusableError, nodeFileSystem, type JournalFileSystem } from '../../../overlays/runtime/journal.js';

interface Entry { i: number; text?: string }

const test = anyTest as TestFn<{ dir: string }>;
const JOURNAL_MODULE = new URL('../../../overlays/runtime/journal.js', import.meta.url).href;

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
  t.is(reopened.quarantined, undefined, 'a torn tail is not damage: nothing is quarantined');
  t.is((await stat(path)).size, whole);
  await reopened.journal.appendDurable({ i: 3 });
  await reopened.journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records, [...entries(0, 3), { i: 3 }]);
});

test('a last line cut in the middle is dropped, reported, and cut off the file', tornTail, '1c291ca3 {"i":3,"te');
test('a whole record without its newline is a torn tail too', tornTail, encodeLine({ i: 3 }).subarray(0, -1).toString());
test('zeroes after the last line (a size that reached the disk before its data) are dropped', tornTail, '\0'.repeat(4096));

/** Writes entries 0..4 and closes; returns the file's lines (each with its newline), a character a byte. */
async function fiveLines(path: string): Promise<string[]> {
  const { journal } = await Journal.open<Entry>({ path });
  entries(0, 5).forEach((entry) => journal.append(entry));
  await journal.close();
  return (await readFile(path, 'latin1')).split(/(?<=\n)/);
}

const readQuarantine = async (path: string): Promise<QuarantineEntry[]> =>
  (await readFile(`${path}.quarantine`, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as QuarantineEntry);

/** Damages the file (lines -> new lines), opens it, and checks what was kept and what was quarantined. */
const quarantines = test.macro(async (t, damage: (lines: string[]) => string[], expected: { kept: number[]; lines: { line: number; reason: string }[]; base64?: number }) => {
  const path = pathIn(t);
  const damagedLines = damage(await fiveLines(path));
  await writeFile(path, damagedLines.join(''), 'latin1');
  const check = (value: unknown) => (typeof (value as Entry).i === 'number' ? undefined : 'i is not a number');
  const opened = await Journal.open<Entry>({ path, check });
  t.deepEqual(opened.records.map(({ i }) => i), expected.kept);
  t.deepEqual(opened.quarantined, { path: `${path}.quarantine`, lines: expected.lines });
  const quarantine = await readQuarantine(path);
  t.deepEqual(quarantine.map(({ line, reason, journal }) => ({ line, reason, journal })), expected.lines.map((entry) => ({ ...entry, journal: path })));
  const bytesOf = (entry: QuarantineEntry) => (entry.text === undefined ? Buffer.from(entry.base64 ?? '', 'base64') : Buffer.from(entry.text));
  t.deepEqual(quarantine.map(bytesOf), expected.lines.map(({ line }) => Buffer.from(damagedLines[line - 1]!.slice(0, -1), 'latin1')), 'each line as it was');
  t.is(quarantine.filter((entry) => entry.base64 !== undefined).length, expected.base64 ?? 0);
  t.is((await stat(`${path}.quarantine`)).mode & 0o777, 0o600);
  await opened.journal.appendDurable({ i: 9 });
  await opened.journal.close();
  const again = await Journal.open<Entry>({ path, check });
  t.deepEqual(again.records.map(({ i }) => i), [...expected.kept, 9], 'the journal was rewritten without them');
  t.is(again.quarantined, undefined, 'and a second open quarantines nothing again');
  t.is((await readQuarantine(path)).length, expected.lines.length);
  await again.journal.close();
});

const flip = (line: string, at: number) => line.slice(0, at) + String.fromCharCode(line.charCodeAt(at) ^ 0x01) + line.slice(at + 1);
const mismatch = 'checksum mismatch';

test('a flipped byte in a line in the middle quarantines that line and keeps every other record', quarantines,
  (lines) => lines.map((line, index) => (index === 1 ? flip(line, 20) : line)), { kept: [0, 2, 3, 4], lines: [{ line: 2, reason: mismatch }] });
test('a flipped byte in the last complete line quarantines it: it is not taken for a torn write', quarantines,
  (lines) => lines.map((line, index) => (index === 4 ? flip(line, 20) : line)), { kept: [0, 1, 2, 3], lines: [{ line: 5, reason: mismatch }] });
test('a record with a good checksum that the check refuses is quarantined with the check\'s reason', quarantines,
  (lines) => [...lines.slice(0, 2), encodeLine({ i: 'two' }).toString(), ...lines.slice(2)], { kept: [0, 1, 2, 3, 4], lines: [{ line: 3, reason: 'wrong shape: i is not a number' }] });
test('garbage, an empty line and a CRLF line are quarantined each with its own line number', quarantines,
  (lines) => [lines[0]!, 'garbage\n', '\n', lines[1]!.replace('\n', '\r\n'), '\0\0\0\n', ...lines.slice(2)],
  { kept: [0, 2, 3, 4], lines: [{ line: 2, reason: 'not a journal line (no checksum)' }, { line: 3, reason: 'not a journal line (no checksum)' }, { line: 4, reason: mismatch }, { line: 5, reason: 'not a journal line (no checksum)' }] });
test('a line that is not UTF-8 is kept in the quarantine as base64', quarantines,
  (lines) => [lines[0]!, '\xff\xfe not utf-8\n', ...lines.slice(1)], { kept: [0, 1, 2, 3, 4], lines: [{ line: 2, reason: 'not a journal line (no checksum)' }], base64: 1 });

test('a damaged line and a torn tail: the line is quarantined, the tail cut off, and the tail\'s line number counts both', async (t) => {
  const path = pathIn(t);
  const lines = await fiveLines(path);
  await writeFile(path, [lines[0], flip(lines[1]!, 15), ...lines.slice(2), '1c291ca3 {"i":5,"te'].join(''), 'latin1');
  const opened = await Journal.open<Entry>({ path });
  t.deepEqual(opened.records.map(({ i }) => i), [0, 2, 3, 4]);
  t.deepEqual(opened.repaired, { droppedBytes: 19, line: 6 });
  t.deepEqual(opened.quarantined?.lines, [{ line: 2, reason: mismatch }]);
  await opened.journal.close();
});

test('a journal that cannot be read at all is unusable: the error names the file and what to do, and nothing is changed', async (t) => {
  const path = pathIn(t);
  await mkdir(path, { recursive: true }); // a directory where the file should be: EISDIR, as EIO or EACCES would be
  const error = await t.throwsAsync(Journal.open<Entry>({ path }), { instanceOf: JournalUnusableError });
  t.regex(error?.message ?? '', new RegExp(`^${path}: the journal cannot be read \\(EISDIR.*starting again will not change that; check the disk \\(dmesg\\).*or move the file aside to start with an empty store`));
  t.deepEqual(await readdir(path), []);
});

test('damaged lines that cannot be set aside make the journal unusable, and the journal is left as it was', async (t) => {
  const path = pathIn(t);
  const lines = await fiveLines(path);
  const damaged = [lines[0], flip(lines[1]!, 20), ...lines.slice(2)].join('');
  await writeFile(path, damaged, 'latin1');
  await mkdir(`${path}.quarantine`);
  const error = await t.throwsAsync(Journal.open<Entry>({ path }), { instanceOf: JournalUnusableError });
  t.regex(error?.message ?? '', /journal\.quarantine: cannot write the quarantine file \(EISDIR.*\), so 1 damaged lines of .*journal cannot be set aside; make .* writable for the service \(or move .*quarantine aside if it is not a file\)/);
  t.is(await readFile(path, 'latin1'), damaged);
});

test('with no space for the quarantine file, damaged lines stay in the journal, are skipped, and are found again at the next open', async (t) => {
  const path = pathIn(t);
  const lines = await fiveLines(path);
  const damaged = [lines[0], flip(lines[1]!, 20), ...lines.slice(2)].join('');
  await writeFile(path, damaged, 'latin1');
  const full: Partial<JournalFileSystem> = { writeSync: () => { throw errno('ENOSPC'); } };
  const opened = await Journal.open<Entry>({ path, fileSystem: full });
  t.deepEqual(opened.records.map(({ i }) => i), [0, 2, 3, 4]);
  t.deepEqual(opened.quarantined, { path: `${path}.quarantine`, lines: [{ line: 2, reason: mismatch }], leftInJournal: `${path}.quarantine could not be written: ENOSPC: simulated` });
  await opened.journal.close();
  t.is(await readFile(path, 'latin1'), damaged);
  const again = await Journal.open<Entry>({ path });
  t.deepEqual(again.quarantined?.lines, [{ line: 2, reason: mismatch }]);
  await again.journal.close();
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

test('a failed fsync rejects every waiter and breaks the journal until a compaction replaces it', async (t) => {
  const { fileSystem } = countingFileSystem({ delayMs: 10 });
  const path = pathIn(t);
  const { journal } = await Journal.open<Entry>({ path, fileSystem });
  await journal.appendDurable({ i: 0 });
  fileSystem.failure = errno('EIO');
  const failed = await Promise.allSettled(entries(1, 4).map((entry) => journal.appendDurable(entry)));
  t.true(failed.every((result) => result.status === 'rejected' && /fsync failed \(EIO: simulated\)/.test(String(result.reason))));
  t.regex(journal.broken?.message ?? '', /fsync failed/);
  fileSystem.failure = undefined;
  t.throws(() => journal.append({ i: 9 }), { message: /fsync failed/ }, 'a retried fsync could lie');
  await t.throwsAsync(journal.flush(), { message: /fsync failed/ });
  t.deepEqual((await Journal.open<Entry>({ path })).records, [{ i: 0 }, ...entries(1, 4)], 'written, so read back, though never reported durable');
  await journal.compact([{ i: -1 }]);
  t.is(journal.broken, undefined);
  await journal.appendDurable({ i: 10 });
  await journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records, [{ i: -1 }, { i: 10 }], 'the state given to compact(), then what came after');
  t.deepEqual(await readdir(join(t.context.dir, 'spool')), ['journal']);
});

test('a compaction that cannot replace a broken journal leaves it broken, and a later one can', async (t) => {
  const { fileSystem } = countingFileSystem();
  const path = pathIn(t);
  const { journal } = await Journal.open<Entry>({ path, fileSystem });
  journal.append({ i: 0 });
  fileSystem.failure = errno('EIO');
  await t.throwsAsync(journal.flush(), { message: /fsync failed \(EIO/ });
  await t.throwsAsync(journal.compact([{ i: 0 }, { i: 1 }]), { message: /EIO/ });
  t.truthy(journal.broken);
  t.deepEqual(await readdir(join(t.context.dir, 'spool')), ['journal'], 'the failed compaction\'s file is removed');
  fileSystem.failure = undefined;
  await journal.compact([{ i: 0 }, { i: 1 }]);
  journal.append({ i: 2 });
  await journal.close();
  t.deepEqual((await Journal.open<Entry>({ path })).records.map(({ i }) => i), [0, 1, 2]);
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
