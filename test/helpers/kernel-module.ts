/**
 * Minimal kernel modules for tests: an ELF relocatable file whose only content is a `.modinfo`
 * section of `key=value` strings (what depmod and modinfo read), laid out as elf(5) says: the
 * ELF header, the sections' data, then the section header table (null, .modinfo, .shstrtab).
 */
import { execa } from 'execa';

export interface ElfOptions {
  /** ELF64 instead of ELF32 (armhf modules are ELF32). */
  is64?: boolean;
  bigEndian?: boolean;
}

export function elfModule(modinfo: readonly string[], options: ElfOptions = {}): Buffer {
  const { is64 = false, bigEndian = false } = options;
  const headerSize = is64 ? 64 : 52;
  const entrySize = is64 ? 64 : 40;
  const info = Buffer.from(`${modinfo.join('\0')}\0`);
  const names = Buffer.from('\0.modinfo\0.shstrtab\0');
  const infoAt = headerSize;
  const namesAt = infoAt + info.length;
  const tableAt = Math.ceil((namesAt + names.length) / 8) * 8;
  const elf = Buffer.alloc(tableAt + 3 * entrySize);
  const u16 = (value: number, at: number) => (bigEndian ? elf.writeUInt16BE(value, at) : elf.writeUInt16LE(value, at));
  const u32 = (value: number, at: number) => (bigEndian ? elf.writeUInt32BE(value, at) : elf.writeUInt32LE(value, at));
  const word = (value: number, at: number) => (is64 ? (bigEndian ? elf.writeBigUInt64BE(BigInt(value), at) : elf.writeBigUInt64LE(BigInt(value), at)) : u32(value, at));
  elf.write('\x7fELF', 0, 'latin1');
  elf[4] = is64 ? 2 : 1;
  elf[5] = bigEndian ? 2 : 1;
  elf[6] = 1; // EV_CURRENT
  u16(1, 16); // ET_REL
  u16(is64 ? 62 : 40, 18); // EM_X86_64 or EM_ARM
  u32(1, 20);
  word(tableAt, is64 ? 0x28 : 0x20);
  u16(headerSize, is64 ? 0x34 : 0x28);
  u16(entrySize, is64 ? 0x3a : 0x2e);
  u16(3, is64 ? 0x3c : 0x30);
  u16(2, is64 ? 0x3e : 0x32);
  info.copy(elf, infoAt);
  names.copy(elf, namesAt);
  const section = (index: number, name: number, type: number, offset: number, size: number) => {
    const at = tableAt + index * entrySize;
    u32(name, at);
    u32(type, at + 4);
    word(offset, at + (is64 ? 0x18 : 0x10));
    word(size, at + (is64 ? 0x20 : 0x14));
  };
  section(1, 1, 1, infoAt, info.length); // .modinfo, SHT_PROGBITS
  section(2, 10, 3, namesAt, names.length); // .shstrtab, SHT_STRTAB
  return elf;
}

/** The module compressed as Debian's kernel packages ship it (.ko.xz), with the real xz. */
export async function xzModule(elf: Buffer): Promise<Buffer> {
  const { stdout } = await execa('xz', ['--compress', '--stdout', '--check=crc32'], { input: elf, encoding: 'buffer' });
  return Buffer.from(stdout);
}
