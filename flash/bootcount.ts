/**
 * The `s_env` boot counter of the stock Linksys U-Boot: parse and render its record log, plan the
 * reset that a healthy system writes, and predict which slot the stock boot picks next.
 *
 * Format, from OpenWrt's linksys_bootcount.c [OW-RBC] (flash/README.md, "The s_env boot
 * counter"): one 12-byte record `{ magic 0x20110811, count, checksum }` per NAND page, read until
 * the first erased (0xffffffff) magic; any other magic aborts. The last record's count is the counter.
 * The fields are the ARM's native order, little-endian (derived: armhf is little-endian).
 */
import type { UBootEnvironment } from '../board/board.js';
import { UserError } from '../build/core/errors.js';

export const BOOT_COUNT_MAGIC = 0x2011_0811;
const ERASED = 0xffff_ffff;
const RECORD_BYTES = 12;

/** The board's `bootCounter` fits this shape. */
export interface BootCounterLayout {
  /** One record per NAND page [OW-RBC: `writesize`]. */
  recordStride: number;
}

export interface BootCountRecord {
  count: number;
  /**
   * Stored as read. Only count 0 has a known checksum, the magic itself [OW-RBC]; how U-Boot
   * computes it for other counts is (unconfirmed), and nothing that reads the log checks it.
   */
  checksum: number;
}

export interface BootCountLog {
  /** The records in write order, each with its byte offset. */
  records: (BootCountRecord & { offset: number })[];
  /** The current count: the last record's, 0 for an empty log. */
  count: number;
  /** Where the next record goes; undefined when the log is full and must be erased first. */
  nextOffset: number | undefined;
}

/** A record with a magic that is neither the boot counter's nor erased flash. */
export class BootCounterFormatError extends UserError {
  constructor(offset: number, magic: number) {
    super(`s_env boot counter: unexpected magic ${hex(magic)} at offset ${hex(offset)}`, {
      hint: 'this is not a Linksys boot counter log; OpenWrt\'s resetbc aborts here too (flash/README.md, "The s_env boot counter")',
    });
    this.name = 'BootCounterFormatError';
  }
}

/** Reads the record log of an `s_env` partition image. */
export function parseBootCounter(bytes: Uint8Array, layout: BootCounterLayout): BootCountLog {
  checkStride(layout);
  const image = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const capacity = Math.floor(image.length / layout.recordStride);
  const records: BootCountLog['records'] = [];
  for (let index = 0; index < capacity; index++) {
    const offset = index * layout.recordStride;
    const magic = image.readUInt32LE(offset);
    if (magic === ERASED) return { records, count: records.at(-1)?.count ?? 0, nextOffset: offset };
    if (magic !== BOOT_COUNT_MAGIC) throw new BootCounterFormatError(offset, magic);
    records.push({ offset, count: image.readUInt32LE(offset + 4), checksum: image.readUInt32LE(offset + 8) });
  }
  return { records, count: records.at(-1)?.count ?? 0, nextOffset: undefined };
}

/** One record as written: 12 bytes, then 0xff to the end of the page (resetbc's memset). */
export function renderBootCountRecord(record: Partial<BootCountRecord> & { count: number }, layout: BootCounterLayout): Buffer {
  const checksum = record.checksum ?? (record.count === 0 ? BOOT_COUNT_MAGIC : undefined);
  if (checksum === undefined) {
    throw new UserError(`s_env boot counter: the checksum for count ${record.count} is unknown (flash/README.md, "The s_env boot counter"); give it`);
  }
  checkStride(layout);
  const page = Buffer.alloc(layout.recordStride, 0xff);
  page.writeUInt32LE(BOOT_COUNT_MAGIC, 0);
  page.writeUInt32LE(record.count, 4);
  page.writeUInt32LE(checksum, 8);
  return page;
}

/** A whole partition image: the records from offset 0, erased flash (0xff) after them. */
export function renderBootCounter(
  records: readonly (Partial<BootCountRecord> & { count: number })[],
  layout: BootCounterLayout & { size: number },
): Buffer {
  if (records.length * layout.recordStride > layout.size) {
    throw new UserError(`s_env boot counter: ${records.length} records do not fit ${layout.size} bytes`);
  }
  const image = Buffer.alloc(layout.size, 0xff);
  records.forEach((record, index) => renderBootCountRecord(record, layout).copy(image, index * layout.recordStride));
  return image;
}

/** What resetting the counter writes, as OpenWrt's `mtd resetbc` does it [OW-RBC]. */
export type BootCounterReset =
  | { action: 'none' }
  | { action: 'write'; eraseFirst: boolean; offset: number; page: Buffer };

/** Nothing when a record already says 0; else append `{magic, 0, magic}`, erasing a full log first. */
export function planBootCounterReset(log: BootCountLog, layout: BootCounterLayout): BootCounterReset {
  // an empty log also reads 0, but gets its record, as the device's mcdebian-bootcount writes it
  if (log.count === 0 && log.records.length > 0) return { action: 'none' };
  const page = renderBootCountRecord({ count: 0 }, layout);
  return log.nextOffset === undefined
    ? { action: 'write', eraseFirst: true, offset: 0, page }
    : { action: 'write', eraseFirst: false, offset: log.nextOffset, page };
}

export interface NextBootInput {
  /** The environment's variables (parseEnvironment's `variables`). */
  variables: ReadonlyMap<string, string>;
  /** The counter now (parseBootCounter's `count`). */
  count: number;
  /** The board's variable names and slot boot commands. */
  ubootEnv: Pick<UBootEnvironment, 'variables' | 'slotBootCommands'>;
}

export interface NextBootOptions {
  /**
   * Which boot without a counter reset goes to the other slot. 3 per the old OpenWrt recovery
   * script ("WILL reboot to the other partition at the 3rd boot"), 4 per a note about another
   * Linksys model; the threshold is (unconfirmed) (flash/README.md, "The s_env boot counter").
   */
  fallbackBoot?: 3 | 4;
}

export type NextBoot =
  | { kind: 'slot'; slot: 1 | 2; fallback: boolean; autoRecovery: boolean; countAfter: number }
  | { kind: 'unknown'; reason: string };

/**
 * What the stock boot does next. The slot is the one `bootcmd` runs; OpenWrt flips `boot_part`
 * and `bootcmd` together [OW-UP], so a disagreement is reported, not guessed. With
 * `auto_recovery=yes` [DOOZAN] each boot counts one up (derived from the fallback after
 * unreset boots) and the `fallbackBoot`-th goes to the other slot; `auto_recovery=no` disables
 * the counter [ubuntu-wrt#7; McD#53]. Any other value, or none, is taken as off, so that a
 * fallback is never promised. Whether U-Boot then rewrites boot_part or resets the count is
 * (unconfirmed).
 */
export function predictNextBoot(input: NextBootInput, options: NextBootOptions = {}): NextBoot {
  const names = input.ubootEnv.variables;
  const commands = input.ubootEnv.slotBootCommands;
  const bootCmd = input.variables.get(names.bootCmd);
  const slot = bootCmd === commands[1] ? 1 : bootCmd === commands[2] ? 2 : undefined;
  if (slot === undefined) {
    const shown = bootCmd === undefined ? 'is not set' : `is ${JSON.stringify(bootCmd)}`;
    return { kind: 'unknown', reason: `${names.bootCmd} ${shown}, neither ${JSON.stringify(commands[1])} nor ${JSON.stringify(commands[2])}` };
  }
  const bootPart = input.variables.get(names.bootPart);
  if (bootPart !== undefined && bootPart !== String(slot)) {
    return { kind: 'unknown', reason: `${names.bootPart}=${bootPart} but ${names.bootCmd} boots slot ${slot}` };
  }
  const autoRecovery = input.variables.get(names.autoRecovery) === 'yes';
  const countAfter = input.count + 1;
  const fallback = autoRecovery && countAfter >= (options.fallbackBoot ?? 3);
  return { kind: 'slot', slot: fallback ? otherSlot(slot) : slot, fallback, autoRecovery, countAfter };
}

function checkStride(layout: BootCounterLayout): void {
  if (!Number.isInteger(layout.recordStride) || layout.recordStride < RECORD_BYTES) {
    throw new UserError(`s_env boot counter: record stride ${layout.recordStride} is smaller than a ${RECORD_BYTES}-byte record`);
  }
}

function otherSlot(slot: 1 | 2): 1 | 2 {
  return slot === 1 ? 2 : 1;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
