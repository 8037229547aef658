/**
 * Journals that no worker owns any more: worker i owns votes-i.journal, and when a server
 * restarts with fewer workers (another CPU count, another `workers`), the journals above the
 * new count still hold votes. Worker i takes those whose number is i modulo the count: their
 * pending votes are written into its own journal (same ids, so the database keeps one row of
 * each whatever happens next), then the file is removed. A crash in between leaves the votes in
 * both journals, which the ids make harmless.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../../runtime/service-log.js';
import { VoteStore } from './vote-store.js';

const NAME = /^votes-(\d+)\.journal$/;

/** The journal of worker `index`. */
export const journalPath = (dir: string, index: number): string => join(dir, `votes-${index}.journal`);

/** Journal files in `dir` that worker `index` of `count` must take over. */
export async function findOrphans(dir: string, options: { index: number; count: number }): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const number = Number(NAME.exec(name)?.[1] ?? Number.NaN);
    return Number.isInteger(number) && number >= options.count && number % options.count === options.index ? [join(dir, name)] : [];
  }).sort();
}

/** Moves the pending votes of each orphan into `store`; returns how many. */
export async function adoptOrphans(store: VoteStore, orphans: readonly string[], log: Log): Promise<number> {
  let moved = 0;
  for (const path of orphans) {
    const orphan = await VoteStore.open({ path, log, maxPending: Number.MAX_SAFE_INTEGER, compactAtBytes: Number.MAX_SAFE_INTEGER });
    const votes = orphan.peekBatch(Number.MAX_SAFE_INTEGER);
    // all at once: they share the journal's group fsyncs
    await Promise.all(votes.map(({ seq: _seq, ...vote }) => store.accept(vote)));
    await orphan.close();
    await rm(path);
    moved += votes.length;
    log.info(`took over ${votes.length} pending votes from ${path}, which no worker owns now`);
  }
  return moved;
}
