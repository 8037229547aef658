/**
 * Streams the data.tar of a Debian package (.deb) entry by entry, so that a caller can read the
 * first few files of a large package and stop the download there. A .deb is an `ar` archive
 * holding debian-binary, control.tar.* and data.tar.* (deb(5)); data.tar is compressed with xz
 * (Debian's default), zstd, gzip or not at all.
 */
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { execa, ExecaError } from 'execa';
import tar, { type Extract } from 'tar-stream';
import { CommandError, UserError } from '../build/core/errors.js';
import { findExecutable } from '../build/core/exec.js';

/** A data.tar entry: `header` describes it, iterating it yields its bytes. */
export type DebEntry = Extract extends AsyncIterable<infer E> ? E : never;

/** Called for each data.tar entry in archive order; resolves true when it has seen enough. */
export type DebEntryVisitor = (entry: DebEntry) => Promise<boolean>;

/**
 * Reads the .deb arriving on `body` and hands each data.tar entry to `visit` until it resolves
 * true or the archive ends. Returns once the decompressor has exited; the caller closes `body`.
 */
export async function scanDebData(body: Readable, visit: DebEntryVisitor): Promise<void> {
  const reader = new ByteReader(body[Symbol.asyncIterator]());
  const member = await findDataMember(reader);
  const unpacker = await startUnpacker(member.name);
  const extract = tar.extract();
  let enough = false;
  const visiting = (async () => {
    for await (const entry of extract) {
      if (await visit(entry)) return (enough = true);
      entry.resume();
    }
    return false;
  })();
  try {
    // Leaving the loop early destroys `extract`, which makes pipeline() fail with a premature close: expected then.
    const [piped, visited] = await Promise.allSettled([pipeline(Readable.from(reader.take(member.size)), unpacker.stream, extract), visiting]);
    if (piped.status === 'rejected' && !enough) throw unpacker.explain(piped.reason);
    if (visited.status === 'rejected') throw unpacker.explain(visited.reason);
  } finally {
    await unpacker.stop();
  }
}

/**
 * Reads exact byte counts from a stream of chunks. The ar archive is read by hand because no
 * maintained npm package reads ar from a stream, and the format is small (ar(5)): the 8-byte magic
 * `!<arch>\n`, then per member a 60-byte header (name 16, mtime 12, uid 6, gid 6, mode 8, size 10,
 * "`\n") followed by the data, padded to an even length.
 */
class ByteReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  async read(length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.take(length)) parts.push(part);
    return Buffer.concat(parts);
  }

  /** Yields the next `length` bytes as they arrive; throws if the stream ends before. */
  async *take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.pending.length === 0) {
        const next = await this.chunks.next();
        if (next.done === true) throw new Error(`the package ends ${left} bytes early`);
        this.pending = next.value;
      }
      const piece = this.pending.subarray(0, left);
      this.pending = this.pending.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}

async function findDataMember(reader: ByteReader): Promise<{ name: string; size: number }> {
  if ((await reader.read(8)).toString('latin1') !== '!<arch>\n') throw new Error('not a Debian package: no ar magic');
  for (;;) {
    const header = await reader.read(60);
    // GNU ar ends member names with a slash; dpkg-deb does not, but accept both.
    const name = header.toString('latin1', 0, 16).trim().replace(/\/$/, '');
    const size = Number(header.toString('latin1', 48, 58).trim());
    if (header.toString('latin1', 58, 60) !== '`\n' || !Number.isSafeInteger(size)) throw new Error(`not a Debian package: bad ar header for "${name}"`);
    if (name.startsWith('data.tar')) return { name, size };
    for await (const skipped of reader.take(size + (size % 2))) void skipped;
  }
}

/** A running decompressor: compressed bytes in, plain bytes out. */
export interface Unpacker {
  /** Compressed data in, plain data out. */
  stream: Duplex;
  /** Turns a failure of the decompressor into the error to show. */
  explain(error: unknown): unknown;
  /** Ends the decompressor, killing it if it still runs, and waits for it. */
  stop(): Promise<void>;
}

/** How a .deb member or an archive index is compressed. */
export type Compression = 'none' | 'gz' | 'xz' | 'zst';

async function startUnpacker(member: string): Promise<Unpacker> {
  const compression = ({ 'data.tar': 'none', 'data.tar.gz': 'gz', 'data.tar.xz': 'xz', 'data.tar.zst': 'zst' } as const)[member];
  if (compression === undefined) {
    throw new UserError(`the package's ${member} is compressed in a way this tool does not read`, { hint: 'expected data.tar.xz, .zst, .gz or plain data.tar' });
  }
  return startDecompressor(compression);
}

/** xz and zstd run as host tools (xz-utils, zstd): no maintained npm package decompresses xz as a stream. */
export async function startDecompressor(compression: Compression): Promise<Unpacker> {
  const inProcess = (stream: Duplex): Unpacker => ({ stream, explain: (error) => error, stop: async () => {} });
  switch (compression) {
    case 'none':
      return inProcess(new PassThrough());
    case 'gz':
      return inProcess(createGunzip());
    case 'xz':
      return startCommand(['xz', '--decompress', '--stdout'], 'xz-utils');
    case 'zst':
      return startCommand(['zstd', '--decompress', '--stdout'], 'zstd');
  }
}

async function startCommand(argv: [string, ...string[]], debianPackage: string): Promise<Unpacker> {
  const [file, ...args] = argv;
  if ((await findExecutable(file)) === undefined) {
    throw new UserError(`${file} not found, needed to read the Debian archive`, { hint: `apt-get install ${debianPackage}` });
  }
  // stdout flows into the tar reader, so it is not buffered; stderr is kept for the error message.
  const subprocess = execa(file, args, { buffer: { stdout: false } });
  return {
    stream: subprocess.duplex(),
    explain: (error) =>
      error instanceof ExecaError && !error.isTerminated
        ? new CommandError({ argv, exitCode: error.exitCode, signal: error.signal, stderr: String(error.stderr ?? '') })
        : error,
    stop: async () => {
      subprocess.kill();
      await subprocess.catch(() => undefined);
    },
  };
}
