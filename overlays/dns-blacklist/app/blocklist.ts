/**
 * The one queue every change goes through: one update at a time, so concurrent requests never
 * race, and the requests that arrive while one runs are committed together in the next (group
 * commit): fifty concurrent adds take two nsupdate runs, not fifty. Each request still learns
 * what it changed, computed in arrival order against the zone as listed just before. A change
 * is applied whole or not at all.
 */
import type { Change } from './zone.js';
import { UpdateError, type Updater } from './updater.js';

/** What one change did. */
export interface ChangeResult {
  added: string[];
  alreadyBlocked: string[];
  removed: string[];
  notBlocked: string[];
}

interface Pending {
  change: Change;
  resolve: (result: ChangeResult) => void;
  reject: (error: unknown) => void;
}

/** The most domains committed in one run, so that one run's time stays bounded. */
const MAX_GROUP = 10_000;

/** Applies one request to the running set of blocked domains and says what it did. */
function applyTo(blocked: Set<string>, change: Change): ChangeResult {
  const result: ChangeResult = { added: [], alreadyBlocked: [], removed: [], notBlocked: [] };
  for (const domain of change.add) {
    if (blocked.has(domain)) result.alreadyBlocked.push(domain);
    else {
      blocked.add(domain);
      result.added.push(domain);
    }
  }
  for (const domain of change.remove) {
    if (blocked.delete(domain)) result.removed.push(domain);
    else result.notBlocked.push(domain);
  }
  return result;
}

/** Takes pending requests from the front, up to MAX_GROUP domains (always at least one request). */
function takeGroup(pending: Pending[]): Pending[] {
  let count = 0;
  let take = 0;
  for (const request of pending) {
    count += request.change.add.length + request.change.remove.length;
    if (take > 0 && count > MAX_GROUP) break;
    take++;
  }
  return pending.splice(0, take);
}

/** The block list, serialised. */
export class Blocklist {
  readonly #updater: Updater;
  readonly #pending: Pending[] = [];
  #running: Promise<void> | undefined;

  constructor(updater: Updater) {
    this.#updater = updater;
  }

  /** The blocked domains, sorted; a read needs no place in the queue. */
  list(): Promise<string[]> {
    return this.#updater.list();
  }

  /** Queues a change; resolves when it is in the zone. */
  change(change: Change): Promise<ChangeResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ change, resolve, reject });
      this.#start();
    });
  }

  /** Resolves once every queued change has been committed or has failed. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #start(): void {
    if (this.#running) return;
    this.#running = (async () => {
      while (this.#pending.length > 0) await this.#commit(takeGroup(this.#pending));
    })().finally(() => {
      this.#running = undefined;
    });
  }

  /** Lists the zone, applies the group in order, and sends the net difference as one update. */
  async #commit(group: Pending[]): Promise<void> {
    try {
      const before = new Set(await this.#updater.list());
      const blocked = new Set(before);
      const results = group.map((request) => applyTo(blocked, request.change));
      const add = [...blocked].filter((domain) => !before.has(domain));
      const remove = [...before].filter((domain) => !blocked.has(domain));
      if (add.length > 0 || remove.length > 0) await this.#applyWhole({ add, remove });
      group.forEach((request, index) => request.resolve(results[index]!));
    } catch (error) {
      for (const request of group) request.reject(error);
    }
  }

  /**
   * Applies a change whole or not at all. A large change goes as several DNS UPDATE messages,
   * each atomic on its own (RFC 2136 §3.7), and nsupdate goes on after one that failed, so a
   * failed run may have applied any of them: what did apply is taken back.
   */
  async #applyWhole(change: Change): Promise<void> {
    try {
      await this.#updater.apply(change);
    } catch (error) {
      if (!(error instanceof UpdateError)) throw error;
      throw await this.#undo(change, error);
    }
  }

  /**
   * Takes back what a failed change applied, from the zone as it now is: its added names that
   * are there are deleted, its removed names that are gone are added back (with the records the
   * settings give now). Only names named held before or took in this change are sent, so the
   * undo fails only when named cannot be reached. Resolves with the error to report.
   */
  async #undo(change: Change, failure: UpdateError): Promise<UpdateError> {
    try {
      const now = new Set(await this.#updater.list());
      const undo = { add: change.remove.filter((domain) => !now.has(domain)), remove: change.add.filter((domain) => now.has(domain)) };
      if (undo.add.length > 0 || undo.remove.length > 0) await this.#updater.apply(undo);
      return new UpdateError(`${failure.message}; nothing was changed`);
    } catch (error) {
      return new UpdateError(`${failure.message}; taking back the part already applied failed too (${(error as Error).message}), so the zone may hold part of the change: GET /domains lists what it holds`);
    }
  }
}
