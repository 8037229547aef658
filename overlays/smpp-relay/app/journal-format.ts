/**
 * The journal's line format: `CRC32 JSON\n`, the CRC (8 hex digits) taken over the JSON's UTF-8
 * bytes. JSON.stringify escapes every control character, so a record never contains a newline,
 * and a line without one is a write that did not finish. Here records are encoded as lines, and
 * a journal file is read back: a torn last line is found and left out, a bad line before it throws.
 * JournalError lives here, where a corrupt file throws it; journal.ts re-exports it.
 */
import { crc32 } from 'node:zlib';

/** A journal that cannot be used: corrupt on disk, broken by a failed fsync, or closed. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
}

/** The records of a journal file, and where its last whole, intact line ends. */
export function parseJournal<R>(content: Buffer, path: string): { records: R[]; validBytes: number } {
  const records: R[] = [];
  let start = 0;
  while (start < content.length) {
    const end = content.indexOf(0x0a, start);
    const decoded = end === -1 ? undefined : decodeLine(content.subarray(start, end));
    if (decoded === undefined) {
      // only the last line can be a write that a crash interrupted; anything earlier was once whole
      if (end === -1 || end === content.length - 1) break;
      throw new JournalError(`${path}:${records.length + 1}: bad checksum or JSON: the journal is corrupt; ` +
        'move it aside to start empty, or cut the line out by hand to keep the rest');
    }
    records.push(decoded.value as R);
    start = end + 1;
  }
  return { records, validBytes: start };
}

export function encodeLine(record: unknown): Buffer {
  const json = JSON.stringify(record);
  if (json === undefined) throw new TypeError(`a journal record must be a JSON value, not ${typeof record}`);
  return Buffer.from(`${checksum(json)} ${json}\n`);
}

function decodeLine(line: Buffer): { value: unknown } | undefined {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (line.toString('latin1', 0, 8) !== checksum(json)) return undefined;
  try {
    return { value: JSON.parse(json.toString('utf8')) };
  } catch {
    return undefined;
  }
}

const checksum = (data: string | Buffer) => crc32(data).toString(16).padStart(8, '0');
