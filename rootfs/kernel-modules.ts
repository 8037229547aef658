/**
 * Which kernel modules an initramfs built with MODULES=list holds, read from the kernel package
 * itself: the listed names, resolved as kmod resolves them (a module of that name, else every
 * module with a matching alias, else a built-in), and everything they depend on. Debian's kernel
 * package ships no modules.dep (depmod makes it when the package is installed), so the
 * dependencies come from where depmod's come from: each module's own `.modinfo` section
 * (`depends=`, `softdep=`, `weakdep=`, `alias=`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runCommand } from '../build/core/exec.js';

/** A module file of the kernel package, as the package stores it (compressed or not). */
export interface ModuleFile {
  /** Path in the package, `/usr/lib/modules/<release>/kernel/fs/ext4/ext4.ko.xz`. */
  path: string;
  data: Buffer;
}

/** What a module's `.modinfo` says about its relations. */
export interface ModuleInfo {
  depends: string[];
  /** `softdep=pre: a b post: c`, both sides. */
  softdeps: string[];
  weakdeps: string[];
  aliases: string[];
}

/** A module the initramfs will hold, with its size as the package stores it. */
export interface PackagedModule {
  name: string;
  path: string;
  bytes: number;
}

/** The modules a list of names pulls in. */
export interface ModuleClosure {
  modules: PackagedModule[];
  /** Names that are built into the kernel: nothing to copy. */
  builtin: string[];
  /** Names nothing in the package provides (mkinitramfs skips them: dracut-install runs with -o). */
  missing: string[];
}

/** `ext4`, `xhci_pci` from a module path: kmod treats `-` and `_` in names alike. */
export function moduleName(path: string): string {
  return normaliseName(basename(path).replace(/\.ko(\.\w+)?$/, ''));
}

const normaliseName = (name: string): string => name.replaceAll('-', '_');

/**
 * The `key=value` strings of an ELF kernel module's `.modinfo` section. The section headers are
 * found from the ELF header (elf(5): e_shoff, e_shentsize, e_shnum, e_shstrndx), 32- or 64-bit,
 * either byte order. Throws for a file that is not ELF.
 */
export function readModinfo(elf: Buffer): string[] {
  if (elf.toString('latin1', 0, 4) !== '\x7fELF') throw new Error('not an ELF file');
  const is64 = elf[4] === 2;
  const little = elf[5] !== 2;
  const u16 = (at: number) => (little ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number) => (little ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const word = (at: number) => (is64 ? Number(little ? elf.readBigUInt64LE(at) : elf.readBigUInt64BE(at)) : u32(at));
  const shoff = word(is64 ? 0x28 : 0x20);
  const [shentsize, shnum, shstrndx] = is64 ? [u16(0x3a), u16(0x3c), u16(0x3e)] : [u16(0x2e), u16(0x30), u16(0x32)];
  const section = (index: number) => {
    const at = shoff + index * shentsize;
    return { name: u32(at), offset: word(at + (is64 ? 0x18 : 0x10)), size: word(at + (is64 ? 0x20 : 0x14)) };
  };
  const names = section(shstrndx);
  for (let index = 0; index < shnum; index++) {
    const { name, offset, size } = section(index);
    const start = names.offset + name;
    if (elf.toString('latin1', start, elf.indexOf(0, start)) === '.modinfo') {
      return elf.toString('utf8', offset, offset + size).split('\0').filter((entry) => entry.includes('='));
    }
  }
  return [];
}

/** The relations in a module's `.modinfo` strings. */
export function parseModinfo(entries: readonly string[]): ModuleInfo {
  const info: ModuleInfo = { depends: [], softdeps: [], weakdeps: [], aliases: [] };
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const [key, value] = [entry.slice(0, equals), entry.slice(equals + 1)];
    if (key === 'depends') info.depends.push(...value.split(',').filter(Boolean));
    else if (key === 'softdep') info.softdeps.push(...value.split(/\s+/).filter((word) => word !== '' && !/^(pre|post):$/.test(word)));
    else if (key === 'weakdep') info.weakdeps.push(...value.split(/\s+/).filter(Boolean));
    else if (key === 'alias') info.aliases.push(value);
  }
  return info;
}

/** Decompressors of module files: Debian's kernels compress them with xz; zstd and gzip are the kernel's other choices. */
const DECOMPRESSORS: Record<string, { argv: string[]; debianPackage: string }> = {
  '.xz': { argv: ['xz', '--decompress'], debianPackage: 'xz-utils' },
  '.zst': { argv: ['zstd', '--decompress', '--quiet', '--rm'], debianPackage: 'zstd' },
  '.gz': { argv: ['gzip', '--decompress'], debianPackage: 'gzip' },
};

/**
 * Reads every module's `.modinfo`, decompressing them in a temporary directory with a few
 * decompressor runs per format (one process per module would take minutes for armmp's 3,600).
 */
export async function readModuleInfos(files: readonly ModuleFile[]): Promise<Map<string, ModuleInfo>> {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-modules-'));
  try {
    const names = files.map((file, index) => `${index}${/\.ko(\.\w+)?$/.exec(file.path)?.[1] ?? ''}`);
    // one at a time: thousands of concurrent writes would run out of file descriptors
    for (const [index, file] of files.entries()) await writeFile(join(dir, names[index]!), file.data);
    for (const [suffix, tool] of Object.entries(DECOMPRESSORS)) {
      const compressed = names.filter((name) => name.endsWith(suffix));
      // one run per core: each run goes through its files one by one
      const runs = Math.min(availableParallelism(), compressed.length);
      await Promise.all(Array.from({ length: runs }, (_, run) => compressed.filter((_name, i) => i % runs === run))
        .map((group) => runCommand([...tool.argv, '--', ...group], { cwd: dir, debianPackage: tool.debianPackage })));
    }
    const infos = new Map<string, ModuleInfo>();
    for (const [index, file] of files.entries()) {
      const elf = await readFile(join(dir, names[index]!.replace(/\.\w+$/, '')));
      infos.set(file.path, parseModinfo(readModinfo(elf)));
    }
    return infos;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the closure is computed over: every module with its relations, and the built-in names and aliases. */
export interface ModuleIndex {
  files: readonly ModuleFile[];
  infos: ReadonlyMap<string, ModuleInfo>;
  /** Names from modules.builtin, and `name.alias=` entries of modules.builtin.modinfo. */
  builtin: ReadonlySet<string>;
  builtinAliases: ReadonlySet<string>;
}

/** An alias pattern of modules.alias style (`*`, `?`, `[...]`) as a regular expression. */
function aliasPattern(alias: string): RegExp {
  const body = alias.replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

/**
 * The modules `names` pull in, as dracut-install (which mkinitramfs runs) pulls them in: a name
 * is a module, else every module with a matching alias, else a built-in; then each module's
 * dependencies, soft dependencies and weak dependencies, transitively. Pure.
 */
export function resolveModuleClosure(index: ModuleIndex, names: readonly string[]): ModuleClosure {
  const byName = new Map(index.files.map((file) => [moduleName(file.path), file]));
  const aliases = [...index.files].flatMap((file) => (index.infos.get(file.path)?.aliases ?? []).map((alias) => ({ pattern: aliasPattern(alias), file })));
  const builtinAliases = [...index.builtinAliases].map(aliasPattern);
  const chosen = new Map<string, ModuleFile>();
  const builtin = new Set<string>();
  const missing = new Set<string>();
  const lookup = (wanted: string): ModuleFile[] => {
    const named = byName.get(normaliseName(wanted));
    if (named) return [named];
    const aliased = aliases.filter(({ pattern }) => pattern.test(wanted)).map(({ file }) => file);
    if (aliased.length > 0) return aliased;
    if (index.builtin.has(normaliseName(wanted)) || builtinAliases.some((pattern) => pattern.test(wanted))) builtin.add(wanted);
    else missing.add(wanted);
    return [];
  };
  const queue = [...names];
  for (let wanted = queue.shift(); wanted !== undefined; wanted = queue.shift()) {
    for (const file of lookup(wanted)) {
      if (chosen.has(file.path)) continue;
      chosen.set(file.path, file);
      const info = index.infos.get(file.path);
      if (info) queue.push(...info.depends, ...info.softdeps, ...info.weakdeps);
    }
  }
  return {
    modules: [...chosen.values()].map((file) => ({ name: moduleName(file.path), path: file.path, bytes: file.data.length })).sort((a, b) => (a.path < b.path ? -1 : 1)),
    builtin: [...builtin].sort(),
    missing: [...missing].sort(),
  };
}

/** modules.builtin (one `kernel/.../name.ko` a line) and modules.builtin.modinfo (NUL-separated `name.key=value`). */
export function parseBuiltin(modulesBuiltin: string, builtinModinfo: string): { builtin: Set<string>; builtinAliases: Set<string> } {
  const builtin = new Set(modulesBuiltin.split('\n').filter(Boolean).map(moduleName));
  const builtinAliases = new Set(builtinModinfo.split('\0').flatMap((entry) => {
    const match = /^[^.=]+\.alias=(.*)$/s.exec(entry);
    return match ? [match[1]!] : [];
  }));
  return { builtin, builtinAliases };
}
