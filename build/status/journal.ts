/**
 * The journalctl command `mcdebian logs` runs on the device, and the reading of its output. A
 * follow is a series of reads, each starting after the cursor the last one ended on
 * (journalctl(1): --show-cursor prints "-- cursor: ..." after the last entry, --after-cursor
 * starts after it), so that it runs over the same SSH connection as plain commands do.
 */
import { shellQuote } from '../../flash/slot-commands.js';

export interface JournalQuery {
  /** Unit names or globs (`mcdebian-*`), each a -u. */
  units: readonly string[];
  /** The last N entries (-n). */
  lines?: number;
  /** journalctl's --since, as the user gave it (systemd.time(7)). */
  since?: string;
  /** Continue after this cursor; --since and -n then no longer apply. */
  afterCursor?: string;
  /** Print the cursor of the last entry, for the next read. */
  showCursor: boolean;
}

export function journalCommand(query: JournalQuery): string {
  const words = ['journalctl', '--no-pager', '--quiet', '--output=short-iso', ...query.units.flatMap((unit) => ['-u', shellQuote(unit)])];
  if (query.afterCursor !== undefined) words.push(`--after-cursor=${shellQuote(query.afterCursor)}`);
  else {
    if (query.lines !== undefined) words.push('-n', String(query.lines));
    if (query.since !== undefined) words.push(`--since=${shellQuote(query.since)}`);
  }
  if (query.showCursor) words.push('--show-cursor');
  return words.join(' ');
}

/** The entries' text and the cursor line's cursor, when there is one. */
export function splitCursor(output: string): { text: string; cursor?: string } {
  const match = /(?:^|\n)-- cursor: (.+)\n?$/.exec(output);
  if (!match) return { text: output };
  return { text: output.slice(0, match.index + (match[0].startsWith('\n') ? 1 : 0)), cursor: match[1] };
}
