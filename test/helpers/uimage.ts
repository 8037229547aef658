/**
 * Legacy multi-file uImages re-made for flash tests: the same parts under another name, or with
 * one part zeroed, and with correct CRCs, so the host's checks pass and only the device can tell.
 * Layout (U-Boot include/image.h, tools/mkimage.c -T multi): a 64-byte big-endian header, a table
 * of part sizes ending in a zero word, then the parts, each but the last padded to 4 bytes.
 */
import { crc32 } from 'node:zlib';

const HEADER = 64;
/** IH_TYPE_KERNEL and IH_TYPE_MULTI (include/image.h). */
const TYPES = { kernel: 2, multi: 4 } as const;

/** A legacy uImage made in memory: Linux, ARM, uncompressed, loaded and entered at 0x8000. */
export function makeUImage(name: string, data: Buffer, type: keyof typeof TYPES = 'kernel'): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(0x2705_1956, 0);
  header.writeUInt32BE(data.length, 12);
  header.writeUInt32BE(0x8000, 16);
  header.writeUInt32BE(0x8000, 20);
  header.writeUInt32BE(crc32(data), 24);
  header.set([5, 2, TYPES[type], 0], 28);
  header.write(name.slice(0, 31), 32, 'latin1');
  header.writeUInt32BE(crc32(header), 4);
  return Buffer.concat([header, data]);
}

/** A multi-file uImage of `parts`: the size table, then each part but the last padded to 4 bytes. */
export function makeMultiImage(name: string, parts: readonly Buffer[]): Buffer {
  const table = Buffer.alloc(4 * (parts.length + 1));
  parts.forEach((part, i) => table.writeUInt32BE(part.length, 4 * i));
  const padded = parts.map((part, i) => (i < parts.length - 1 ? Buffer.concat([part, Buffer.alloc((4 - (part.length % 4)) % 4)]) : part));
  return makeUImage(name, Buffer.concat([table, ...padded]), 'multi');
}

export function rewrapMultiImage(image: Buffer, options: { name: string; zeroPart?: number }): Buffer {
  const sizes: number[] = [];
  for (let at = HEADER; ; at += 4) {
    const size = image.readUInt32BE(at);
    if (size === 0) break;
    sizes.push(size);
  }
  const data = Buffer.from(image.subarray(HEADER, HEADER + image.readUInt32BE(12)));
  if (options.zeroPart !== undefined) {
    let offset = 4 * (sizes.length + 1);
    for (let i = 0; i < options.zeroPart; i++) offset += Math.ceil(sizes[i]! / 4) * 4;
    data.fill(0, offset, offset + sizes[options.zeroPart]!);
  }
  const header = Buffer.from(image.subarray(0, HEADER));
  header.fill(0, 32, 64);
  header.write(options.name.slice(0, 31), 32, 'latin1');
  header.writeUInt32BE(crc32(data), 24);
  header.writeUInt32BE(0, 4);
  header.writeUInt32BE(crc32(header), 4);
  return Buffer.concat([header, data]);
}
