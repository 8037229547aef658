/**
 * Reads facts about Debian's kernel package straight from a mirror, leaving nothing on disk:
 * which versioned image package a meta package (`linux-image-armmp`) depends on in the suites a
 * build installs from (the highest version, as apt picks it), the size of its zImage and the
 * DTBs a board needs, and, when asked, the modules an initramfs of a list of names holds. For
 * the zImage and DTBs only the first few MB of the ~56 MB .deb are downloaded: its data.tar
 * holds boot/ and usr/lib/linux-image-<version>/ before the modules.
 */
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { StringDecoder } from 'node:string_decoder';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { UserError } from '../build/core/errors.js';
import { scanDebData, startDecompressor, type DebEntry } from './deb-data.js';
import { compareDebianVersions } from './debian-version.js';
import { parseBuiltin, readModuleInfos, resolveModuleClosure, type ModuleClosure, type ModuleFile } from './kernel-modules.js';

/** One paragraph of a Packages index: field name as written to value, continuation lines joined by newlines. */
export type Stanza = Record<string, string>;

/** One suite of an archive, as a `deb` line names it. */
export interface ArchiveSuite {
  /** Archive root, such as `http://mirror.example/debian` (the host's apt sources name it). */
  mirror: string;
  /** `trixie`, `trixie-updates`, `trixie-security`. */
  suite: string;
}

/**
 * The suites a build installs from: the suite alone, or with updates also <suite>-updates and,
 * when a security mirror is known, <suite>-security (the bootstrap's apt sources are these).
 */
export function buildSuites(options: { mirror: string; securityMirror?: string; suite: string; withUpdates: boolean }): ArchiveSuite[] {
  const suites = [{ mirror: options.mirror, suite: options.suite }];
  if (!options.withUpdates) return suites;
  suites.push({ mirror: options.mirror, suite: `${options.suite}-updates` });
  if (options.securityMirror) suites.push({ mirror: options.securityMirror, suite: `${options.suite}-security` });
  return suites;
}

/** What to look up, and where. */
export interface FetchKernelPackageOptions {
  /** The suites apt installs from (buildSuites()); the highest version among them wins. */
  suites: readonly ArchiveSuite[];
  /** Debian architecture, `armhf`. */
  arch: string;
  /** The meta package that tracks the current kernel, `linux-image-armmp`. */
  metaPackage: string;
  /** DTB file names to read, matched by basename (`armada-385-linksys-caiman.dtb`). */
  dtbFiles: string[];
  /**
   * Module names an initramfs lists (/etc/initramfs-tools/modules): when given, the whole .deb is
   * read and the modules they pull in are returned with their sizes.
   */
  initramfsModules?: readonly string[];
  /** Limit for each download, in milliseconds; 60 s by default. */
  timeoutMs?: number;
  /** Replaces the global fetch, for tests. */
  fetchImpl?: typeof fetch;
}

/** A file read from the kernel package. */
export interface PackagedFile {
  /** Where the package installs it, `/boot/vmlinuz-6.12.107+deb13-armmp`. */
  path: string;
  /** Size in bytes. */
  size: number;
}

/** Facts about the kernel package the meta package currently points at. */
export interface KernelPackageInfo {
  metaPackage: string;
  /** The versioned image package, `linux-image-6.12.107+deb13-armmp`. */
  package: string;
  /** Its Debian version, `6.12.107-1`. */
  version: string;
  /** Its path under the mirror, `pool/main/l/linux/...deb`. */
  filename: string;
  /** Size of the .deb according to the index. */
  debSize: number;
  /** The kernel image, `/boot/vmlinuz-*` (a zImage on armhf). */
  zImage: PackagedFile;
  /** The wanted DTBs that were found, by basename, with their contents. */
  dtbs: Record<string, PackagedFile & { data: Buffer }>;
  /** The wanted DTBs the package does not hold. */
  missingDtbs: string[];
  /** The suite the package comes from. */
  suite: ArchiveSuite;
  /** The modules `initramfsModules` pull in, when asked. */
  initramfsModules?: ModuleClosure;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MIRROR_HINT = 'check `mirror:` in mcdebian.yaml and the network; `--offline` skips this lookup';

/** Parses a Packages index, keeping the stanzas whose Package field passes `keep`. Pure. */
export function parsePackagesIndex(text: string, keep: (name: string) => boolean = () => true): Map<string, Stanza[]> {
  const collector = new StanzaCollector(keep);
  for (const line of text.split('\n')) collector.push(line);
  collector.push('');
  return collector.stanzas;
}

/** Collects stanzas line by line, so that a 60 MB index never has to be held as one string. */
class StanzaCollector {
  readonly stanzas = new Map<string, Stanza[]>();
  private current: Stanza = {};
  private field: string | undefined;
  private skipping = false;

  constructor(private readonly keep: (name: string) => boolean) {}

  push(line: string): void {
    if (line.trim() === '') return this.endStanza();
    if (this.skipping) return;
    if (/^\s/.test(line)) {
      if (this.field !== undefined) this.current[this.field] += `\n${line.trim()}`;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return;
    this.field = line.slice(0, colon);
    this.current[this.field] = line.slice(colon + 1).trim();
    // Package comes first in every stanza of a Packages file; the rest of an unwanted one is not kept.
    if (this.field === 'Package' && !this.keep(this.current[this.field] ?? '')) this.skipping = true;
  }

  private endStanza(): void {
    const name = this.current.Package;
    if (name !== undefined && !this.skipping) this.stanzas.set(name, [...(this.stanzas.get(name) ?? []), this.current]);
    this.current = {};
    this.field = undefined;
    this.skipping = false;
  }
}

/**
 * The names among `names` that no package of the suite's main component provides (as its
 * Package or in its Provides), so a build can stop before mmdebstrap with a clear message.
 * Returns every package name too, for "did you mean".
 */
export async function findMissingPackages(options: { mirror: string; suite: string; arch: string; names: readonly string[]; timeoutMs?: number; fetchImpl?: typeof fetch }): Promise<{ missing: string[]; known: string[] }> {
  const wanted = [...new Set(options.names.map((name) => name.replace(/:.*$/, '')))];
  if (wanted.length === 0) return { missing: [], known: [] };
  const http = { fetchImpl: options.fetchImpl ?? fetch, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const url = `${options.mirror.replace(/\/+$/, '')}/dists/${options.suite}/main/binary-${options.arch}/Packages.gz`;
  const { packages, provided } = await download(url, http, scanPackageNames);
  return { missing: wanted.filter((name) => !packages.has(name) && !provided.has(name)).sort(), known: [...packages] };
}

/** The Package and Provides names of a Packages.gz, line by line (the index is 60 MB unpacked). */
async function scanPackageNames(body: Readable): Promise<{ packages: Set<string>; provided: Set<string> }> {
  const packages = new Set<string>();
  const provided = new Set<string>();
  const lines = createInterface({ input: body.pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.startsWith('Package: ')) packages.add(line.slice(9).trim());
    else if (line.startsWith('Provides: ')) {
      for (const relation of line.slice(10).split(',')) provided.add(relation.trim().split(/\s/)[0] ?? '');
    }
  }
  return { packages, provided };
}

/** Whether the suite's InRelease answers, for a clear error before a long bootstrap. */
export async function checkMirror(options: { mirror: string; suite: string; timeoutMs?: number }): Promise<void> {
  const url = `${options.mirror.replace(/\/+$/, '')}/dists/${options.suite}/InRelease`;
  await download(url, { fetchImpl: fetch, timeoutMs: options.timeoutMs ?? 15_000 }, async (body) => {
    body.destroy();
  });
}

/** Looks up the kernel the meta package depends on and reads its zImage size and DTBs from the mirror. */
export async function fetchKernelPackageInfo(options: FetchKernelPackageOptions): Promise<KernelPackageInfo> {
  const http = { fetchImpl: options.fetchImpl ?? fetch, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const keep = (name: string): boolean => name === options.metaPackage || name.startsWith('linux-image-');
  const indexes = await Promise.all(options.suites.map(async (suite) => ({ suite, stanzas: await fetchIndex(suite, options.arch, http, keep) })));
  const { image, suite } = findImageStanza(indexes, options.metaPackage);
  const debUrl = `${trimSlashes(suite.mirror)}/${image.Filename}`;
  const scan = new KernelDebScan(options.dtbFiles, options.initramfsModules !== undefined);
  await download(debUrl, http, (body) => scanDebData(body, (entry) => scan.visit(entry)));
  if (scan.zImage === undefined) throw new UserError(`${debUrl} holds no boot/vmlinuz-*`, { hint: `check that ${options.metaPackage} is a kernel image package` });
  return {
    metaPackage: options.metaPackage,
    package: image.Package,
    version: image.Version,
    filename: image.Filename,
    debSize: Number(image.Size),
    zImage: scan.zImage,
    dtbs: scan.dtbs,
    missingDtbs: options.dtbFiles.filter((name) => !(name in scan.dtbs)),
    suite,
    ...(options.initramfsModules ? { initramfsModules: await scan.resolveModules(options.initramfsModules) } : {}),
  };
}

const trimSlashes = (url: string): string => url.replace(/\/+$/, '');

/** A suite's Packages index: Packages.xz, which every Debian suite has (-updates and -security have no .gz), else Packages.gz. */
async function fetchIndex(suite: ArchiveSuite, arch: string, http: HttpOptions, keep: (name: string) => boolean): Promise<Map<string, Stanza[]>> {
  const base = `${trimSlashes(suite.mirror)}/dists/${suite.suite}/main/binary-${arch}/Packages`;
  for (const compression of ['xz', 'gz'] as const) {
    try {
      return await download(`${base}.${compression}`, http, (body) => collectStanzas(body, compression, keep));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  throw new UserError(`${suite.mirror} has no ${suite.suite} index for ${arch}: ${base}.xz and ${base}.gz answer HTTP 404`, {
    hint: `check the suite and the mirror (${suite.suite.endsWith('-security') ? 'securityMirror:' : 'mirror:'} in mcdebian.yaml); --offline skips this lookup`,
  });
}

async function collectStanzas(body: Readable, compression: 'gz' | 'xz', keep: (name: string) => boolean): Promise<Map<string, Stanza[]>> {
  const collector = new StanzaCollector(keep);
  const decompressor = await startDecompressor(compression);
  try {
    await pipeline(body, decompressor.stream, async (chunks: AsyncIterable<Buffer>) => {
      const decoder = new StringDecoder('utf8');
      let rest = '';
      for await (const chunk of chunks) {
        const lines = (rest + decoder.write(chunk)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) collector.push(line);
      }
      collector.push(rest + decoder.end());
      collector.push('');
    });
  } catch (error) {
    throw decompressor.explain(error);
  } finally {
    await decompressor.stop();
  }
  return collector.stanzas;
}

type ImageStanza = Stanza & { Package: string; Version: string; Filename: string; Size: string };

interface SuiteIndex {
  suite: ArchiveSuite;
  stanzas: Map<string, Stanza[]>;
}

const describeSuites = (indexes: readonly SuiteIndex[]): string => indexes.map(({ suite }) => suite.suite).join(', ');

/**
 * The versioned image package apt would install: the meta package at its highest version among
 * the suites (all at apt's default priority, so the highest version wins), then the package its
 * Depends names (`linux-image-X (= V)`), from whichever suite has that version.
 */
function findImageStanza(indexes: readonly SuiteIndex[], metaPackage: string): { image: ImageStanza; suite: ArchiveSuite } {
  const metas = indexes.flatMap(({ suite, stanzas }) => (stanzas.get(metaPackage) ?? []).map((stanza) => ({ suite, stanza })));
  const meta = highest(metas);
  if (meta === undefined) {
    throw new UserError(`package ${metaPackage} is not in ${describeSuites(indexes)} (${indexes.map(({ suite }) => suite.mirror).filter((m, i, all) => all.indexOf(m) === i).join(', ')})`, {
      hint: 'check the suite, the architecture and the kernel package the board names',
    });
  }
  const relations = (meta.stanza.Depends ?? '').split(',').map((relation) => relation.split('|')[0]?.trim() ?? '');
  const relation = relations.find((r) => r.startsWith('linux-image-')) ?? '';
  const [, name = '', version] = /^(\S+)(?:\s*\(\s*=\s*([^)\s]+)\s*\))?/.exec(relation) ?? [];
  const candidates = indexes.flatMap(({ suite, stanzas }) => (stanzas.get(name) ?? [])
    .filter((stanza) => version === undefined || stanza.Version === version)
    .map((stanza) => ({ suite, stanza })));
  const image = highest(candidates);
  if (image?.stanza.Package === undefined || image.stanza.Filename === undefined || image.stanza.Size === undefined) {
    throw new UserError(`${metaPackage} ${meta.stanza.Version} (${meta.suite.suite}) depends on "${relation}", which has no usable stanza in ${describeSuites(indexes)}`, { hint: MIRROR_HINT });
  }
  return { image: image.stanza as ImageStanza, suite: image.suite };
}

/** The candidate with the highest Version; the first of equals, so the suite listed first wins a tie. */
function highest<T extends { stanza: Stanza }>(candidates: readonly T[]): T | undefined {
  return candidates.reduce<T | undefined>((best, candidate) => {
    if (candidate.stanza.Version === undefined) return best;
    return best === undefined || compareDebianVersions(candidate.stanza.Version, best.stanza.Version!) > 0 ? candidate : best;
  }, undefined);
}

/** Gathers, entry by entry, what the kernel .deb's data.tar holds for us. */
class KernelDebScan {
  zImage: PackagedFile | undefined;
  readonly dtbs: KernelPackageInfo['dtbs'] = {};
  private sawDtbDir = false;
  private readonly modules: ModuleFile[] = [];
  private modulesBuiltin = '';
  private builtinModinfo = '';

  constructor(private readonly wanted: readonly string[], private readonly readModules: boolean) {}

  /** Takes one entry; true once nothing more of interest can follow. */
  async visit(entry: DebEntry): Promise<boolean> {
    const path = `/${entry.header.name.replace(/^\.?\//, '')}`;
    if (this.readModules) return this.visitModule(entry, path).then(() => false);
    const inDtbDir = /^\/usr\/lib\/linux-image-[^/]+\//.test(path);
    // dpkg-deb sorts entries (boot/, usr/lib/linux-image-*/, usr/lib/modules/): past the DTB folder there are only modules.
    if (this.sawDtbDir && !inDtbDir) return this.zImage !== undefined;
    this.sawDtbDir ||= inDtbDir;
    await this.visitBootFile(entry, path);
    return this.zImage !== undefined && this.wanted.every((wanted) => wanted in this.dtbs);
  }

  private async visitBootFile(entry: DebEntry, path: string): Promise<void> {
    const { size = 0, type } = entry.header;
    const file = basename(path);
    if (type === 'file' && /^\/boot\/vmlinuz-/.test(path)) this.zImage = { path, size };
    else if (type === 'file' && this.wanted.includes(file) && !(file in this.dtbs)) this.dtbs[file] = { path, size, data: await readEntry(entry) };
  }

  /** Reading the modules means reading the whole package: the zImage and DTBs come on the way. */
  private async visitModule(entry: DebEntry, path: string): Promise<void> {
    const modulesDir = /^\/(?:usr\/)?lib\/modules\/[^/]+\//.exec(path);
    if (entry.header.type !== 'file') return;
    if (!modulesDir) return this.visitBootFile(entry, path);
    const inside = path.slice(modulesDir[0].length);
    if (/\.ko(\.\w+)?$/.test(inside)) this.modules.push({ path, data: await readEntry(entry) });
    else if (inside === 'modules.builtin') this.modulesBuiltin = (await readEntry(entry)).toString('utf8');
    else if (inside === 'modules.builtin.modinfo') this.builtinModinfo = (await readEntry(entry)).toString('utf8');
  }

  /** The modules the names pull in. */
  async resolveModules(names: readonly string[]): Promise<ModuleClosure> {
    const infos = await readModuleInfos(this.modules);
    return resolveModuleClosure({ files: this.modules, infos, ...parseBuiltin(this.modulesBuiltin, this.builtinModinfo) }, names);
  }
}

async function readEntry(entry: DebEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The mirror answered 404: for an index, the other compression may be there. */
class NotFoundError extends UserError {}

interface HttpOptions {
  fetchImpl: typeof fetch;
  timeoutMs: number;
}

/** GETs `url` and hands the body to `consume`; the connection is closed when consume returns, early or not. */
async function download<T>(url: string, http: HttpOptions, consume: (body: Readable) => Promise<T>): Promise<T> {
  const done = new AbortController();
  const timeout = AbortSignal.timeout(http.timeoutMs);
  try {
    const response = await http.fetchImpl(url, { signal: AbortSignal.any([done.signal, timeout]) });
    if (response.status === 404) throw new NotFoundError(`cannot download ${url}: HTTP 404 ${response.statusText}`.trim(), { hint: MIRROR_HINT });
    if (!response.ok || response.body === null) {
      throw new UserError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trim(), { hint: MIRROR_HINT });
    }
    return await consume(Readable.fromWeb(response.body as ReadableStream<Uint8Array>));
  } catch (error) {
    if (error instanceof UserError) throw error;
    const reason = timeout.aborted ? `no complete answer within ${http.timeoutMs / 1000} s` : describeError(error);
    throw new UserError(`cannot download ${url}: ${reason}`, { hint: MIRROR_HINT, cause: error });
  } finally {
    done.abort();
  }
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is in its cause. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
