/**
 * The line splitter behind exec's onLine, fed the same bytes in any chunking: the lines come out
 * the same as splitting the whole text at once, multi-byte characters and CRLF split across
 * chunks included. Bounded: 2,000 runs; fast-check prints the seed of a failure.
 */
import test from 'ava';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLineSplitter } from '../../../build/core/context.js';

/** What splitting the whole text gives: every line, and the last one when it is not empty. */
function reference(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Cuts `bytes` at the given offsets. */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const offset of [...offsets, bytes.length]) {
    chunks.push(bytes.subarray(from, offset));
    from = offset;
  }
  return chunks;
}

const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('\n', '\r\n', '\r', 'é', '€', '😀', 'I: done...')), { maxLength: 40 }).map((parts) => parts.join(''));

test('any chunking of the bytes gives the lines of the whole text', (t) => {
  t.notThrows(() => fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 30 }), (whole, cuts) => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    for (const piece of chunk(Buffer.from(whole, 'utf8'), cuts)) splitter.write(piece);
    splitter.end();
    assert.deepStrictEqual(lines, reference(whole));
  }), { numRuns: 2_000 }));
});
