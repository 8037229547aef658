/**
 * The journal's line format: `CRC32 JSON\n`, the CRC (8 hex digits) taken over the JSON's UTF-8
 * bytes. JSON.stringify escapes every control character, so a record never contains a newline.
 * Here records are encoded as lines, and a journal file is read back without ever throwing:
 * - the bytes after the last newline are a torn tail: a write(2) that a crash interrupted (the
 *   journal writes one whole line per call and cuts off a failed one, so nothing else can leave
 *   a line without its newline);
 * - a complete line whose checksum or JSON is bad, or whose record the caller's check refuses,
 *   is damaged, wherever it is: it was once written whole, so a crash did not do it (a disk, a
 *   hand edit, a bug did). It is reported with its line number and reason, and the records
 *   around it are kept.
 * JournalError lives here with the format; journal.ts re-exports it.
 */
import { crc32 } from 'node:zlib';

/** A journal that cannot be used: broken by a failed fsync or write, or closed. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
}

/** Says why a record read back cannot be used, or undefined when it can. */
export type RecordCheck = (value: unknown) => string | undefined;

/** A complete line that could not be used. */
export interface DamagedLine {
  /** 1-based, counting every line of the file as read. */
  line: number;
  reason: string;
  /** The line's bytes, without its newline. */
  bytes: Buffer;
}

/** A journal file as read. */
export interface ParsedJournal<R> {
  /** Every usable record, in file order. */
  records: R[];
  damaged: DamagedLine[];
  /** Where the last complete line ends: the rest of the file is a torn tail. */
  validBytes: number;
}

/** Reads a journal file's content; never throws. */
export function parseJournal<R>(content: Buffer, check: RecordCheck = () => undefined): ParsedJournal<R> {
  const records: R[] = [];
  const damaged: DamagedLine[] = [];
  let start = 0;
  for (let line = 1; ; line++) {
    const end = content.indexOf(0x0a, start);
    if (end === -1) break;
    const bytes = content.subarray(start, end);
    const decoded = decodeLine(bytes);
    const reason = 'reason' in decoded ? decoded.reason : checkRecord(check, decoded.value);
    if (reason === undefined) records.push((decoded as { value: R }).value);
    else damaged.push({ line, reason, bytes });
    start = end + 1;
  }
  return { records, damaged, validBytes: start };
}

export function encodeLine(record: unknown): Buffer {
  const json = JSON.stringify(record);
  if (json === undefined) throw new TypeError(`a journal record must be a JSON value, not ${typeof record}`);
  return Buffer.from(`${checksum(json)} ${json}\n`);
}

function decodeLine(line: Buffer): { value: unknown } | { reason: string } {
  if (line.length < 10 || line[8] !== 0x20) return { reason: 'not a journal line (no checksum)' };
  const json = line.subarray(9);
  if (line.toString('latin1', 0, 8) !== checksum(json)) return { reason: 'checksum mismatch' };
  try {
    return { value: JSON.parse(json.toString('utf8')) };
  } catch {
    return { reason: 'bad JSON under a good checksum' };
  }
}

function checkRecord(check: RecordCheck, value: unknown): string | undefined {
  try {
    const problem = check(value);
    return problem === undefined ? undefined : `wrong shape: ${problem}`;
  } catch (error) {
    // a check that throws must not stop the reading: the record is the thing in doubt
    return `wrong shape: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const checksum = (data: string | Buffer) => crc32(data).toString(16).padStart(8, '0');
