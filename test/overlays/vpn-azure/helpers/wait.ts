/** Waiting on a condition (a log line, a socket answering, an SA listed) until a deadline. */
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves with the condition's first value that is neither undefined nor false; rejects naming
 * `what` after `timeoutMs`, or at once with the condition's own error (one that says the wait is
 * hopeless, such as the daemon having exited). The condition is polled because its sources
 * (charon's log file, swanctl's answer) have no event of their own; the deadline, not the poll
 * interval, decides failure.
 */
export async function waitFor<T>(condition: () => Promise<T | undefined | false> | T | undefined | false, options: { what: string; timeoutMs?: number }): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}`);
    await delay(100);
  }
}
