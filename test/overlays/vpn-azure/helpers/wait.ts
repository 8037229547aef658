/** Waiting on a condition (a log line, a socket answering, an SA listed) until a deadline. */
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves with the condition's first truthy value; rejects naming `what` after `timeoutMs`.
 * The condition is polled because its sources (charon's log file, swanctl's answer) have no
 * event of their own; the deadline, not the poll interval, decides failure.
 */
export async function waitFor<T>(condition: () => Promise<T | undefined | false> | T | undefined | false, options: { what: string; timeoutMs?: number }): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms waiting for ${options.what}${why}`);
    }
    await delay(100);
  }
}
