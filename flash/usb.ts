/**
 * Writes an image to a USB stick (or a regular file standing in for one), then verifies it as a
 * phase of its own by reading the written range back and comparing sha256 (etcher-sdk's
 * write-then-verify). Progress is `{ phase, bytes, total, speed, eta }` per 4 MiB chunk. Reads
 * the image; writes the device from offset 0 over the image's length and nothing past it.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UserError, VerificationError } from '../build/core/errors.js';
import { runCommand } from '../build/core/exec.js';
import { silentLogger, type Logger } from '../build/core/log.js';

export type FlashPhase = 'upload' | 'write' | 'verify';

/** One progress report; `bytes` only grows within a phase and ends equal to `total`. */
export interface FlashProgress {
  phase: FlashPhase;
  bytes: number;
  total: number;
  /** Average bytes per second since the phase began. */
  speed: number;
  /** Seconds left at that speed. */
  eta: number;
}

export type ProgressCallback = (progress: FlashProgress) => void;

export interface TransferOptions {
  onProgress?: ProgressCallback;
  /** Bytes per read and write; 4 MiB, as for hashing in build/manifest.ts. */
  chunkSize?: number;
}

export interface WriteOptions extends TransferOptions {
  /** A block device is opened O_SYNC|O_EXCL; a file is fsynced once at the end. */
  kind: 'block' | 'file';
}

export interface WriteResult {
  bytes: number;
  /** sha256 of what was read from the image and written, hashed on the way. */
  sha256: string;
}

export interface VerifyOptions extends TransferOptions {
  bytes: number;
  sha256: string;
}

export interface FlashOptions extends WriteOptions {
  /** The image's sha256 from manifest.json; the written bytes must match it. */
  expectedSha256?: string;
  /** Runs between the write and the verification; tests corrupt the device here. */
  afterWrite?: () => Promise<void> | void;
  logger?: Logger;
}

export interface FlashResult extends WriteResult {
  /** The read-back bypassed the page cache (blockdev --flushbufs worked), or the target is a file. */
  cacheFlushed: boolean;
}

const CHUNK = 4 * 1024 * 1024;

/** Reports progress for one phase; speed is the average since the phase began. */
export function createMeter(phase: FlashPhase, total: number, onProgress?: ProgressCallback): (bytes: number) => void {
  const start = performance.now();
  return (bytes) => {
    const seconds = Math.max((performance.now() - start) / 1000, 1e-3);
    const speed = bytes / seconds;
    onProgress?.({ phase, bytes, total, speed: Math.round(speed), eta: speed > 0 ? Math.round((total - bytes) / speed) : 0 });
  };
}

/** Yields `total` bytes of `handle` from offset 0 in chunks; one buffer, reused, so consume each before the next. */
async function* readChunks(handle: FileHandle, total: number, chunkSize: number, what: string): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(total, 1)));
  for (let position = 0; position < total;) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, total - position), position);
    if (bytesRead === 0) throw new VerificationError(`${what} size`, total, position, { hint: 'it ended early; was it changed or removed while flashing?' });
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * Writes every byte of the image, zeros included. A sparse image's holes are written too, as
 * etcher does; skipping all-zero chunks (bmaptool's way) needs a block map to be correct on a
 * used stick and is a later optimisation.
 */
export async function writeImage(image: string, device: string, options: WriteOptions): Promise<WriteResult> {
  // O_SYNC: each 4 MiB write returns once it is on the stick, so progress and speed are the
  // stick's, not the page cache's (no "100 %, then a minute of sync"). O_EXCL on a block device
  // makes the kernel refuse it with EBUSY if it got mounted since the inspection. No O_DIRECT:
  // it needs buffers aligned to the logical block size, which Node's Buffer does not promise.
  const flags = constants.O_WRONLY | (options.kind === 'block' ? constants.O_SYNC | constants.O_EXCL : 0);
  const source = await open(image, 'r');
  try {
    const target = await open(device, flags).catch((error: NodeJS.ErrnoException) => {
      throw new UserError(`cannot open ${device} for writing: ${error.code ?? error.message}`, { hint: error.code === 'EBUSY' ? 'it is in use: unmount it' : 'run as root or as a member of the disk group' });
    });
    try {
      return await copyChunks(source, target, options, image);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function copyChunks(source: FileHandle, target: FileHandle, options: WriteOptions, image: string): Promise<WriteResult> {
  const total = (await source.stat()).size;
  const hash = createHash('sha256');
  const report = createMeter('write', total, options.onProgress);
  let position = 0;
  report(0);
  for await (const chunk of readChunks(source, total, options.chunkSize ?? CHUNK, image)) {
    hash.update(chunk);
    for (let done = 0; done < chunk.length;) done += (await target.write(chunk, done, chunk.length - done, position + done)).bytesWritten;
    position += chunk.length;
    report(position);
  }
  await target.sync();
  return { bytes: total, sha256: hash.digest('hex') };
}

/** Reads the first `bytes` bytes of the device back and throws VerificationError unless their sha256 is `sha256`. */
export async function verifyDevice(device: string, options: VerifyOptions): Promise<void> {
  const handle = await open(device, 'r');
  const hash = createHash('sha256');
  try {
    const report = createMeter('verify', options.bytes, options.onProgress);
    let position = 0;
    report(0);
    for await (const chunk of readChunks(handle, options.bytes, options.chunkSize ?? CHUNK, device)) {
      hash.update(chunk);
      position += chunk.length;
      report(position);
    }
  } finally {
    await handle.close();
  }
  const actual = hash.digest('hex');
  if (actual !== options.sha256) {
    throw new VerificationError(`sha256 of the ${options.bytes} bytes read back from ${device}`, options.sha256, actual, { hint: 'the stick did not keep what was written: try another stick (or another USB port)' });
  }
}

/**
 * Drops the kernel's cached pages of a block device (BLKFLSBUF) so that the read-back comes
 * from the stick and not from memory. Node has no posix_fadvise, and an O_DIRECT read needs
 * aligned buffers, so this asks util-linux's blockdev (Essential in Debian). Needs CAP_SYS_ADMIN.
 */
export async function flushDeviceBuffers(device: string): Promise<void> {
  await runCommand(['blockdev', '--flushbufs', device], { debianPackage: 'util-linux' });
}

/** Write, check the written bytes against the manifest, drop the cache, verify. */
export async function flashImage(image: string, device: string, options: FlashOptions): Promise<FlashResult> {
  const written = await writeImage(image, device, options);
  if (options.expectedSha256 !== undefined && written.sha256 !== options.expectedSha256) {
    throw new VerificationError(`sha256 of ${image} against manifest.json`, options.expectedSha256, written.sha256, { hint: 'the image changed after the build: build it again' });
  }
  await options.afterWrite?.();
  let cacheFlushed = true;
  if (options.kind === 'block') {
    cacheFlushed = await flushDeviceBuffers(device).then(() => true, (error: Error) => {
      (options.logger ?? silentLogger).warn(`${error.message.split('\n')[0]}: the read-back may come from the page cache and prove less; run as root for a real check`);
      return false;
    });
  }
  await verifyDevice(device, { ...options, bytes: written.bytes, sha256: written.sha256 });
  return { ...written, cacheFlushed };
}
