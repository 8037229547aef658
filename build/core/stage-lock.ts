/**
 * One builder per stage cache entry at a time, across processes: two builds (of two boards, or
 * two test workers) that need the same base wait for each other instead of bootstrapping it
 * twice, and the second reuses what the first published. The lock is a directory beside the
 * entry (proper-lockfile: mkdir is atomic on every local file system, and a lock whose holder
 * died, so stopped refreshing its mtime, is taken over once stale). Entries are still published
 * by rename, so a reader never sees half of one, lock or not.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from './errors.js';
import type { Logger } from './log.js';

export interface BuildOnceOptions {
  /** The cache entry (a file or directory path); the lock is `<entry>.lock`. */
  entry: string;
  /** What is built, for the log: "the base 3f2a...". */
  what: string;
  /** True when the entry is complete in the cache (checked again once the lock is held). */
  isDone(): boolean | Promise<boolean>;
  /** Builds and publishes the entry. */
  build(): Promise<void>;
  logger: Logger;
  /** Stops the wait (Ctrl-C). */
  signal?: AbortSignal;
  /** First and longest pause between tries, in ms (tests make them short). */
  pollMs?: { min: number; max: number };
}

/** A holder that stopped refreshing its lock for this long is taken for dead. */
const STALE_MS = 120_000;
const REFRESH_MS = 20_000;

/** Builds the entry unless another process built it meanwhile; resolves with which happened. */
export async function buildOnce(options: BuildOnceOptions): Promise<'built' | 'reused'> {
  const release = await acquire(options);
  try {
    if (await options.isDone()) {
      options.logger.info(`reusing ${options.what}, which another build made meanwhile`);
      return 'reused';
    }
    await options.build();
    return 'built';
  } finally {
    await release().catch((error: Error) => options.logger.warn(`releasing the lock of ${options.what}: ${error.message}`));
  }
}

/**
 * Holds `path` for this build alone, or refuses at once: for what a second build must not share
 * (the output directory, the scratch rootfs) rather than wait for. Resolves with the release.
 */
export async function holdExclusively(path: string, what: string, logger: Logger): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  try {
    const release = await lockfile.lock(path, {
      lockfilePath: `${path}.lock`,
      realpath: false,
      stale: STALE_MS,
      update: REFRESH_MS,
      onCompromised: (error) => logger.warn(`the lock of ${what} was taken over: ${error.message}`),
    });
    return () => release().catch((error: Error) => logger.warn(`releasing the lock of ${what}: ${error.message}`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new UserError(`another build is writing ${what} (lock ${path}.lock)`, {
      hint: 'wait for it to finish; a build that died leaves a lock that is taken over after 2 minutes',
    });
  }
}

async function acquire(options: BuildOnceOptions): Promise<() => Promise<void>> {
  const { min, max } = options.pollMs ?? { min: 1000, max: 15_000 };
  const started = Date.now();
  let pause = min;
  let told = false;
  await mkdir(dirname(options.entry), { recursive: true });
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await lockfile.lock(options.entry, {
        lockfilePath: `${options.entry}.lock`,
        realpath: false,
        stale: STALE_MS,
        update: REFRESH_MS,
        // a late refresh on a machine too busy to run our timer is not worth crashing the build
        onCompromised: (error) => options.logger.warn(`the lock of ${options.what} was taken over: ${error.message}`),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    if (!told) {
      options.logger.info(`waiting for another build that is making ${options.what} (lock ${options.entry}.lock)`);
      told = true;
    } else if (pause === max) {
      options.logger.info(`still waiting for ${options.what} after ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, max);
  }
}
