/**
 * Reads a legacy U-Boot image header (include/image.h: 64 bytes, big-endian) and checks the image
 * as U-Boot's `bootm` will: magic, header CRC32, then the data CRC32 over `size` bytes. The
 * flashers check this before anything is written, so a truncated or damaged blob never reaches
 * a slot. Written here because it is 20 lines over zlib.crc32; `mkimage -l` prints but does not
 * check the data CRC.
 */
import { crc32 } from 'node:zlib';
import { UserError } from '../build/core/errors.js';

export const UIMAGE_MAGIC = 0x2705_1956;
export const UIMAGE_HEADER_BYTES = 64;

export interface UImageHeader {
  /** Bytes after the header that the data CRC covers. */
  dataSize: number;
  loadAddress: number;
  entryAddress: number;
  /** IH_TYPE: 2 kernel, 4 multi-file, 6 script. */
  type: number;
  name: string;
}

/** Parses and checks a whole uImage; `what` names it in errors (a path). */
export function checkUImage(image: Uint8Array, what: string): UImageHeader {
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.length);
  if (bytes.length < UIMAGE_HEADER_BYTES || bytes.readUInt32BE(0) !== UIMAGE_MAGIC) {
    throw new UserError(`${what} is not a legacy U-Boot image (no 0x27051956 magic)`, { hint: 'flash the kernel.uimg that mcdebian build wrote' });
  }
  const header = Buffer.from(bytes.subarray(0, UIMAGE_HEADER_BYTES));
  const storedHeaderCrc = header.readUInt32BE(4);
  header.writeUInt32BE(0, 4);
  if (crc32(header) !== storedHeaderCrc) throw new UserError(`${what}: the uImage header CRC is wrong`, { hint: 'the file is damaged; rebuild it' });
  const dataSize = bytes.readUInt32BE(12);
  if (bytes.length < UIMAGE_HEADER_BYTES + dataSize) {
    throw new UserError(`${what} is truncated: the header announces ${dataSize} bytes of data, the file has ${bytes.length - UIMAGE_HEADER_BYTES}`);
  }
  if (crc32(bytes.subarray(UIMAGE_HEADER_BYTES, UIMAGE_HEADER_BYTES + dataSize)) !== bytes.readUInt32BE(24)) {
    throw new UserError(`${what}: the uImage data CRC is wrong (U-Boot would stop with "Bad Data CRC")`, { hint: 'the file is damaged; rebuild it' });
  }
  const name = bytes.subarray(32, 64).toString('latin1').replace(/\0.*$/s, '');
  return { dataSize, loadAddress: bytes.readUInt32BE(16), entryAddress: bytes.readUInt32BE(20), type: bytes[30]!, name };
}
