/**
 * A bound on costly work for the whole process: at most `concurrency` tasks run at once and
 * `maxWaiting` more wait their turn; one more is turned away at once, before it costs anything,
 * and a waiting task whose caller has gone (its signal aborted) leaves without running. The
 * admin API checks passwords through one: each scrypt takes 32 MiB and a fraction of a second
 * of the router's core, and 40 clients with one wrong guess each once had 40 running together.
 * Written here because no dependency of ours has it: p-map bounds concurrency but neither the
 * queue behind it nor waiters that give up.
 */

export interface BoundedQueueOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks that may wait for a turn; the next one is turned away. */
  maxWaiting: number;
}

/** What became of a task: its result, turned away (`full`), or dropped because its caller left. */
export type QueueOutcome<T> = { kind: 'done'; value: T } | { kind: 'full' } | { kind: 'abandoned' };

export class BoundedQueue {
  readonly #options: BoundedQueueOptions;
  #running = 0;
  /** Grants of the waiting tasks, oldest first. */
  readonly #waiting: (() => void)[] = [];

  constructor(options: BoundedQueueOptions) {
    this.#options = options;
  }

  /** Tasks waiting for a turn now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` when a slot is free; `signal` aborted before then drops it. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<QueueOutcome<T>> {
    if (signal?.aborted) return { kind: 'abandoned' };
    if (this.#running < this.#options.concurrency) this.#running++;
    else if (this.#waiting.length >= this.#options.maxWaiting) return { kind: 'full' };
    else if (!(await this.#waitForSlot(signal))) return { kind: 'abandoned' };
    try {
      // the caller may have left in the moment between the grant and now
      if (signal?.aborted) return { kind: 'abandoned' };
      return { kind: 'done', value: await task() };
    } finally {
      this.#release();
    }
  }

  /** Hands the slot to the oldest waiting task, so that no newcomer can take it in between. */
  #release(): void {
    const grant = this.#waiting.shift();
    if (grant) grant();
    else this.#running--;
  }

  /** Resolves true with a slot handed over, false when `signal` aborts first. */
  #waitForSlot(signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const leave = () => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        resolve(false);
      };
      const grant = () => {
        signal?.removeEventListener('abort', leave);
        resolve(true);
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#waiting.push(grant);
    });
  }
}
