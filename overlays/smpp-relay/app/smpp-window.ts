/**
 * The window of a link: the submit_sm sent and not yet answered, by sequence number, each with
 * its wait-ack timer. The `smpp` package keeps response callbacks forever and fails none of them
 * when the connection drops (overlays/smpp-relay/README.md), so the link keeps its own book here and settles
 * every entry itself: on a response, on wait-ack, on link loss.
 */
import type { SubmitResult } from './types.js';

/** One unanswered submit_sm. */
export interface WindowEntry {
  sequence: number;
  /** When it was written (the link's clock). */
  sentAt: number;
  /** The throttle epoch it was sent in (ThrottlePause.epoch). */
  epoch: number;
  /** wait-ack passed without an answer and the entry was kept (wait-ack-expire 'wait'). */
  overdue: boolean;
  resolve: (result: SubmitResult) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface WindowOptions {
  /** max-pending-submits. */
  size: number;
  /** wait-ack in milliseconds. */
  waitAckMs: number;
  /** Called once per entry when wait-ack passes; the entry is still in the window. */
  onOverdue: (entry: WindowEntry) => void;
}

/** The unanswered submits of one link. */
export class SubmitWindow {
  private readonly entries = new Map<number, WindowEntry>();

  constructor(private readonly options: WindowOptions) {}

  get inFlight(): number {
    return this.entries.size;
  }

  hasRoom(): boolean {
    return this.entries.size < this.options.size;
  }

  /** Whether the window is full of submits past wait-ack: the link can send nothing until one is answered. */
  stuck(): boolean {
    return !this.hasRoom() && [...this.entries.values()].every((entry) => entry.overdue);
  }

  /** Books a written submit_sm; the promise settles when the link settles the entry. */
  add(sequence: number, sent: { sentAt: number; epoch: number }): Promise<SubmitResult> {
    return new Promise((resolve) => {
      const entry: WindowEntry = { sequence, ...sent, overdue: false, resolve, timer: undefined };
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        entry.overdue = true;
        this.options.onOverdue(entry);
      }, this.options.waitAckMs);
      this.entries.set(sequence, entry);
    });
  }

  /** Removes the entry for a response's sequence number; undefined when none is waiting (late or unknown). */
  take(sequence: number): WindowEntry | undefined {
    const entry = this.entries.get(sequence);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.entries.delete(sequence);
    return entry;
  }

  /** Empties the window (the link is gone), oldest first. */
  takeAll(): WindowEntry[] {
    const all = [...this.entries.values()];
    for (const entry of all) clearTimeout(entry.timer);
    this.entries.clear();
    return all;
  }
}
