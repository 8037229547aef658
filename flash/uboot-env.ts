/**
 * The U-Boot environment image codec: parse, serialize and edit the `u_env` block as the stock
 * Linksys U-Boot and `fw_printenv`/`fw_setenv` (Debian's libubootenv-tool) read and write it.
 *
 * Layout (flash/README.md, "The U-Boot environment"): a little-endian CRC32 over the rest of the
 * block, then `name=value\0` entries and one more `\0`, zero-padded to the environment size
 * (0x20000 on the 385 boards, 0x40000 on mamba). The Linksys boards use no redundant copy [OW-ENV]; the
 * redundant layout (a flags byte after the CRC) is an option because it costs one offset.
 * Names and values are handled as latin1 so that any environment round-trips byte for byte.
 */
// zlib.crc32 is in Node since 20.15 and 22.2; package.json requires >=20.19, so no table of our own.
import { crc32 } from 'node:zlib';
import { UserError, VerificationError } from '../build/core/errors.js';

/** Where the environment's geometry comes from: a board's `ubootEnv` fits this shape. */
export interface EnvironmentLayout {
  /** Environment size in bytes; the CRC covers all of it but the header. */
  size: number;
  /** A redundant copy: a flags byte follows the CRC (fw_env.config with two devices). */
  redundant?: boolean;
}

export interface ParseOptions extends EnvironmentLayout {
  /** Return a block whose CRC does not match instead of throwing (crcOk tells). */
  acceptBadCrc?: boolean;
}

export interface SerializeOptions extends EnvironmentLayout {
  /** The redundant copy's flags byte; libubootenv increments it on every write. */
  flags?: number;
}

/** Variables as a Map (kept in order) or a plain record. */
export type EnvironmentInput = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** Several changes in one write: a string sets, null deletes. */
export type EnvironmentChanges = ReadonlyMap<string, string | null> | Readonly<Record<string, string | null>>;

export interface ParsedEnvironment {
  /** Variables in on-flash order; a repeated name keeps its last value, as U-Boot and libubootenv do. */
  variables: Map<string, string>;
  crcOk: boolean;
  storedCrc: number;
  computedCrc: number;
  /** The redundant copy's flags byte. */
  flags?: number;
  /** Bytes in use: header, entries and the terminating NUL. */
  usedBytes: number;
}

/** The stored CRC32 is not the CRC32 of the data. */
export class EnvironmentCrcError extends VerificationError {
  /** The whole block reads 0xff: never saved, or erased. */
  readonly erased: boolean;

  constructor(stored: number, computed: number, erased: boolean) {
    const hint = erased
      ? 'the environment is erased, so U-Boot runs on its built-in default; `saveenv` at the Marvell>> prompt writes it (flash/README.md, "The U-Boot environment")'
      : 'check the environment size and offset against the board (0x20000 on the 385 boards, 0x40000 on mamba: flash/README.md, "The U-Boot environment")';
    super('U-Boot environment CRC32', hex(stored), hex(computed), { hint });
    this.name = 'EnvironmentCrcError';
    this.erased = erased;
  }
}

/** A block that is not a U-Boot environment, or a variable that cannot be stored in one. */
export class EnvironmentFormatError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentFormatError';
  }
}

/** The variables do not fit the environment. */
export class EnvironmentOverflowError extends UserError {
  readonly overBy: number;

  constructor(needed: number, size: number) {
    super(`U-Boot environment needs ${needed} bytes but holds ${size}: ${needed - size} bytes over`, {
      hint: 'shorten or delete variables; the size is fixed by the board (flash/README.md, "The U-Boot environment")',
    });
    this.name = 'EnvironmentOverflowError';
    this.overBy = needed - size;
  }
}

/** Reads an environment block; `bytes` may be longer (a whole partition), the rest is ignored. */
export function parseEnvironment(bytes: Uint8Array, options: ParseOptions): ParsedEnvironment {
  const header = headerBytes(options);
  checkSize(options.size, header);
  if (bytes.length < options.size) {
    throw new EnvironmentFormatError(`U-Boot environment is ${bytes.length} bytes, shorter than its size ${options.size}`);
  }
  const image = Buffer.from(bytes.buffer, bytes.byteOffset, options.size);
  const storedCrc = image.readUInt32LE(0);
  const computedCrc = crc32(image.subarray(header));
  const crcOk = storedCrc === computedCrc;
  if (!crcOk && options.acceptBadCrc !== true) {
    throw new EnvironmentCrcError(storedCrc, computedCrc, image.every((byte) => byte === 0xff));
  }
  const { variables, end } = parseEntries(image, header);
  const parsed: ParsedEnvironment = { variables, crcOk, storedCrc, computedCrc, usedBytes: end };
  if (options.redundant === true) parsed.flags = image[4] ?? 0;
  return parsed;
}

/**
 * Walks `name=value\0` entries up to the empty one. U-Boot's himport_r would take an entry
 * without `=` as a deletion; here it is an error, because no tool writes one and a block that
 * has one is more likely not an environment at all.
 */
function parseEntries(image: Buffer, start: number): { variables: Map<string, string>; end: number } {
  const variables = new Map<string, string>();
  let position = start;
  while (image[position] !== 0) {
    const nul = image.indexOf(0, position);
    if (nul === -1) {
      throw new EnvironmentFormatError(`U-Boot environment has no terminating NUL after offset ${hex(position)}`);
    }
    const entry = image.toString('latin1', position, nul);
    const equals = entry.indexOf('=');
    if (equals <= 0) {
      const what = equals === 0 ? 'an empty name' : 'no "="';
      throw new EnvironmentFormatError(`U-Boot environment entry at offset ${hex(position)} has ${what}: ${JSON.stringify(entry.slice(0, 60))}`);
    }
    variables.set(entry.slice(0, equals), entry.slice(equals + 1));
    position = nul + 1;
  }
  if (position >= image.length) {
    throw new EnvironmentFormatError('U-Boot environment has no terminating NUL before its end');
  }
  return { variables, end: position + 1 };
}

/**
 * Writes an environment block of exactly `options.size` bytes. Variables go out sorted by name
 * (byte order), `.flags` last: U-Boot's hexport_r sorts on `saveenv` and libubootenv keeps its
 * list sorted and appends `.flags`, so the order of the input never matters. The padding is 0x00,
 * as hexport_r's memset. libubootenv mallocs its buffer without clearing it: zeros on a fresh heap
 * (what the tests compare), but 0.3.2's `fw_setenv -s` was seen leaving stale bytes there.
 */
export function serializeEnvironment(variables: EnvironmentInput, options: SerializeOptions): Buffer {
  const header = headerBytes(options);
  checkSize(options.size, header);
  const entries = toEntries(variables).sort(([a], [b]) => compareNames(a, b));
  for (const [name, value] of entries) validateVariable(name, value);
  const body = entries.map(([name, value]) => `${name}=${value}\0`).join('');
  // The terminating NUL must fit too: hexport_r refuses "size < totlen + 1".
  const needed = header + Buffer.byteLength(body, 'latin1') + 1;
  if (needed > options.size) throw new EnvironmentOverflowError(needed, options.size);
  const image = Buffer.alloc(options.size, 0);
  image.write(body, header, 'latin1');
  if (options.redundant === true) image[4] = (options.flags ?? 0) & 0xff;
  image.writeUInt32LE(crc32(image.subarray(header)), 0);
  return image;
}

/**
 * Applies several sets and deletes to an environment block in one new image, as one `fw_setenv`
 * run would. A bad CRC throws: fw_setenv would fall back to a default environment instead, and
 * writing that back over a device's real environment is never what a flash wants. Deleting a
 * variable that is not there is no error (fw_setenv exits 0). A redundant copy gets the next flags
 * value, as libubootenv's incremental flags; it belongs in the other copy.
 */
export function setVariables(bytes: Uint8Array, changes: EnvironmentChanges, options: EnvironmentLayout): Buffer {
  const parsed = parseEnvironment(bytes, { size: options.size, redundant: options.redundant });
  const variables = new Map(parsed.variables);
  for (const [name, value] of toEntries(changes)) {
    if (value === null) variables.delete(name);
    else variables.set(name, value);
  }
  const flags = parsed.flags === undefined ? undefined : (parsed.flags + 1) & 0xff;
  return serializeEnvironment(variables, { ...options, flags });
}

/** The first of `sizes` whose CRC matches (non-redundant): how to tell a 0x20000 environment from a 0x40000 one. */
export function findEnvironmentSize(bytes: Uint8Array, sizes: readonly number[]): number | undefined {
  return sizes.find((size) => size > 4 && size <= bytes.length && Buffer.from(bytes.buffer, bytes.byteOffset, size).readUInt32LE(0) === crc32(bytes.subarray(4, size)));
}

function toEntries<T>(input: ReadonlyMap<string, T> | Readonly<Record<string, T>>): [string, T][] {
  return input instanceof Map ? [...(input as ReadonlyMap<string, T>)] : Object.entries(input);
}

/** strcmp order: latin1 code units are the bytes; `.flags` after everything (libubootenv). */
function compareNames(a: string, b: string): number {
  if (a === '.flags' || b === '.flags') return (a === '.flags' ? 1 : 0) - (b === '.flags' ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What would break the block or be misread: `=` in a name (U-Boot and fw_setenv refuse it),
 * NUL anywhere (it ends the entry), a name starting with a blank or `#` (himport_r skips those),
 * characters beyond one byte (the block is bytes).
 */
function validateVariable(name: string, value: string): void {
  const problem =
    name === '' ? 'is empty'
      : name.includes('=') ? 'contains "="'
        : /^[ \t#]/.test(name) ? 'starts with a blank or "#", which U-Boot skips on import'
          : undefined;
  if (problem !== undefined) throw new EnvironmentFormatError(`U-Boot variable name ${JSON.stringify(name)} ${problem}`);
  for (const [what, text] of [['name', name], ['value', value]] as const) {
    if (text.includes('\0')) throw new EnvironmentFormatError(`U-Boot variable ${JSON.stringify(name)}: its ${what} contains a NUL byte`);
    if (/[^\x01-\xff]/.test(text)) {
      throw new EnvironmentFormatError(`U-Boot variable ${JSON.stringify(name)}: its ${what} has characters beyond one byte (latin1)`);
    }
  }
}

function headerBytes(layout: EnvironmentLayout): number {
  return layout.redundant === true ? 5 : 4;
}

function checkSize(size: number, header: number): void {
  if (!Number.isInteger(size) || size <= header) {
    throw new EnvironmentFormatError(`U-Boot environment size ${size} is not a whole number of bytes larger than its ${header}-byte header`);
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
