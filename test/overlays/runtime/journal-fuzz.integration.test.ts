/**
 * Properties of the journal reader: random records written by the real encoder, then random
 * damage (truncation, flipped bytes, garbage lines, NULs, CRLF, a duplicated line, a record of
 * the wrong shape under a good checksum). Whatever the damage, the reader does not throw, every
 * line that is still exactly as written comes back in order, every other complete line is
 * quarantined once (and not again at the next open), and only bytes after the last newline are
 * a torn tail. The oracle does not decode: a line is intact when its bytes are those of a line
 * the encoder wrote, so it does not share the reader's checksum code.
 * On failure fast-check prints the seed and path to replay it.
 */
import test from 'ava';
import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLine, parseJournal } from '../../../overlays/runtime/journal-format.js';
import type { QuarantineEntry } from '../../../overlays/runtime/journal-quarantine.js';
import { Journal } from '../../../overlays/runtime/journal.js';

interface Entry { kind: 'ok'; n: number; s: string; list: number[] }

const check = (value: unknown) => ((value as Entry | null)?.kind === 'ok' ? undefined : 'kind is not ok');

const entry: fc.Arbitrary<Entry> = fc.record({
  kind: fc.constant('ok' as const),
  n: fc.integer(),
  // every code point, lone surrogates, controls, U+2028: JSON.stringify must keep each on one line
  s: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 })),
  list: fc.array(fc.nat(), { maxLength: 3 }),
});

type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'nuls'; at: number; count: number }
  | { kind: 'garbage'; line: number; bytes: Uint8Array }
  | { kind: 'crlf'; line: number }
  | { kind: 'duplicate'; line: number }
  | { kind: 'wrongShape'; line: number; n: number };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('nuls' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('garbage' as const), line: fc.nat(), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('crlf' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('wrongShape' as const), line: fc.nat(), n: fc.integer() }),
);

const NEWLINE = Buffer.from('\n');

/** Complete lines (without their newline) and the bytes after the last newline. */
function splitLines(content: Buffer): { lines: Buffer[]; tail: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = content.indexOf(0x0a); end !== -1; end = content.indexOf(0x0a, start)) {
    lines.push(content.subarray(start, end));
    start = end + 1;
  }
  return { lines, tail: content.subarray(start) };
}

const joinLines = ({ lines, tail }: { lines: Buffer[]; tail: Buffer }) => Buffer.concat([...lines.flatMap((line) => [line, NEWLINE]), tail]);

/** Applies one damage to a file's bytes. */
function apply(content: Buffer, change: Damage): Buffer {
  const split = splitLines(content);
  const at = (position: number, size: number) => position % (size + 1);
  switch (change.kind) {
    case 'truncate':
      return content.subarray(0, at(change.at, content.length));
    case 'flip': {
      if (content.length === 0) return content;
      const copy = Buffer.from(content);
      const index = change.at % copy.length;
      copy[index] = copy[index]! ^ change.mask;
      return copy;
    }
    case 'nuls': {
      const cut = at(change.at, content.length);
      return Buffer.concat([content.subarray(0, cut), Buffer.alloc(change.count), content.subarray(cut)]);
    }
    case 'garbage':
      split.lines.splice(at(change.line, split.lines.length), 0, Buffer.from(change.bytes.filter((byte) => byte !== 0x0a)));
      return joinLines(split);
    case 'crlf':
      if (split.lines.length === 0) return content;
      split.lines[change.line % split.lines.length] = Buffer.concat([split.lines[change.line % split.lines.length]!, Buffer.from('\r')]);
      return joinLines(split);
    case 'duplicate':
      if (split.lines.length === 0) return content;
      split.lines.splice(change.line % split.lines.length, 0, split.lines[change.line % split.lines.length]!);
      return joinLines(split);
    case 'wrongShape':
      split.lines.splice(at(change.line, split.lines.length), 0, encodeLine({ kind: 'bad', n: change.n }).subarray(0, -1));
      return joinLines(split);
  }
}

/** A journal file of these entries, damaged; and what the reader should make of it. */
function damagedJournal(entries: Entry[], changes: Damage[]) {
  const written = entries.map((item) => encodeLine(item));
  const content = changes.reduce(apply, Buffer.concat(written));
  const good = new Set(written.map((line) => line.subarray(0, -1).toString('latin1')));
  const { lines, tail } = splitLines(content);
  const numbered = lines.map((bytes, index) => ({ line: index + 1, bytes }));
  return {
    content,
    intact: numbered.filter(({ bytes }) => good.has(bytes.toString('latin1'))).map(({ bytes }) => bytes.toString('latin1')),
    damaged: numbered.filter(({ bytes }) => !good.has(bytes.toString('latin1'))),
    tail,
    /** The wrong-shape lines as inserted: still whole, their reason must be the check's. */
    wrongShape: new Set(changes.flatMap((change) => (change.kind === 'wrongShape' ? [encodeLine({ kind: 'bad', n: change.n }).subarray(0, -1).toString('latin1')] : []))),
  };
}

const reencoded = (records: unknown[]) => records.map((record) => encodeLine(record).subarray(0, -1).toString('latin1'));
const journalArbitrary = fc.tuple(fc.array(entry, { maxLength: 25 }), fc.array(damage, { minLength: 1, maxLength: 4 }));

test('whatever the damage, the reader does not throw, returns the intact lines in order, and reports every other complete line once', (t) => {
  t.notThrows(() => fc.assert(
    fc.property(journalArbitrary, ([entries, changes]) => {
      const expected = damagedJournal(entries, changes);
      const parsed = parseJournal<Entry>(expected.content, check);
      if (reencoded(parsed.records).join('\n') !== expected.intact.join('\n')) throw new Error('the intact lines did not come back in order');
      const reported = parsed.damaged.map(({ line, bytes }) => `${line}:${bytes.toString('hex')}`);
      if (reported.join() !== expected.damaged.map(({ line, bytes }) => `${line}:${bytes.toString('hex')}`).join()) throw new Error(`damaged lines: ${reported.join()}`);
      if (parsed.validBytes !== expected.content.length - expected.tail.length) throw new Error('only what follows the last newline is a torn tail');
      for (const { bytes, reason } of parsed.damaged) {
        if (expected.wrongShape.has(bytes.toString('latin1')) !== reason.startsWith('wrong shape: ')) throw new Error(`line ${bytes.toString('latin1')}: reason ${reason}`);
      }
    }),
    { numRuns: 20_000, interruptAfterTimeLimit: 25_000 },
  ));
});

test('opening a damaged journal keeps the intact records, quarantines the rest once, cuts only the torn tail, and the next open finds nothing more', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(journalArbitrary, fc.option(entry, { nil: undefined }), async ([entries, changes], later) => {
      runs++;
      const dir = await mkdtemp(join(tmpdir(), 'mcdebian-journal-fuzz-'));
      try {
        const path = join(dir, 'journal');
        const expected = damagedJournal(entries, changes);
        await writeFile(path, expected.content);
        const opened = await Journal.open<Entry>({ path, check, sync: false });
        if (reencoded(opened.records).join('\n') !== expected.intact.join('\n')) throw new Error('the intact lines did not come back in order');
        if ((opened.repaired?.droppedBytes ?? 0) !== expected.tail.length) throw new Error(`torn tail: ${JSON.stringify(opened.repaired)}, expected ${expected.tail.length} bytes`);
        const quarantine = await readQuarantine(path);
        const bytesOf = (item: QuarantineEntry) => (item.text === undefined ? Buffer.from(item.base64 ?? '', 'base64') : Buffer.from(item.text));
        const got = quarantine.map((item) => `${item.line}:${bytesOf(item).toString('hex')}`).join();
        if (got !== expected.damaged.map(({ line, bytes }) => `${line}:${bytes.toString('hex')}`).join()) throw new Error(`quarantined: ${got}`);
        if ((opened.quarantined?.lines.length ?? 0) !== expected.damaged.length) throw new Error('the count returned differs from the file');
        if (later) opened.journal.append(later);
        await opened.journal.close();
        const again = await Journal.open<Entry>({ path, check, sync: false });
        await again.journal.close();
        const all = later ? [...expected.intact, ...reencoded([later])] : expected.intact;
        if (reencoded(again.records).join('\n') !== all.join('\n')) throw new Error('a reopen lost or changed records');
        if (again.quarantined || again.repaired) throw new Error('a reopen found damage again');
        if ((await readQuarantine(path)).length !== quarantine.length) throw new Error('a reopen quarantined again');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 1000, interruptAfterTimeLimit: 30_000 },
  );
  t.log(`${runs} journals opened`);
  t.true(runs > 0);
});

async function readQuarantine(path: string): Promise<QuarantineEntry[]> {
  const text = await readFile(`${path}.quarantine`, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as QuarantineEntry);
}
