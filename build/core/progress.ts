/**
 * What a long step says about itself while it runs (the bootstrap's packages, an image write's
 * bytes), and how that is shown: the step reports as often as it likes, the runner shows the
 * latest report with the step's elapsed time, on a terminal under the step's spinner and
 * elsewhere (CI, a log file) as one line every few seconds, never one per report.
 */

/** One counter of a step's progress, shown as "label done/total". */
export interface ProgressCount {
  /** What is counted, as a past participle: "fetched", "unpacked", "written". */
  label: string;
  done: number;
  /** Undefined while the step does not know it yet. */
  total?: number;
  /** The unit after the numbers ("MiB"); none for a count of things. */
  unit?: string;
}

/** A step's latest report. */
export interface StepProgress {
  /** What it is doing now, in a few words: "installing essential packages". */
  phase: string;
  counts?: readonly ProgressCount[];
  /** What it is busy with inside the phase, when that can take a while: "setting up linux-image-6.12.118+deb13-armmp". */
  current?: string;
}

/** How often the latest report is shown: redrawn in place on a terminal, a new line elsewhere. */
export const PROGRESS_INTERVAL_MS = { interactive: 1_000, plain: 12_000 } as const;

/** "42 s", "3 min 07 s", "1 h 02 min". */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function formatCount(count: ProgressCount): string {
  const unit = count.unit ? ` ${count.unit}` : '';
  return `${count.label} ${count.done}${count.total === undefined ? '' : `/${count.total}`}${unit}`;
}

/** "installing essential packages: fetched 59/59, unpacked 31/59, configured 0/59; setting up libc6 (2 min 10 s)". */
export function formatStepProgress(progress: StepProgress, elapsedMs: number): string {
  const counts = (progress.counts ?? []).map(formatCount).join(', ');
  const current = progress.current ? `; ${progress.current}` : '';
  return `${progress.phase}${counts ? `: ${counts}` : ''}${current} (${formatElapsed(elapsedMs)})`;
}

/**
 * The latest report of one step and when it was last shown: `due(now)` gives the line to show
 * when one is due (a report exists and the interval has passed since the last line), else
 * undefined. The caller owns the clock and the timer, so this stays a plain object to test.
 */
export class ProgressView {
  private latest: StepProgress | undefined;
  private shownAt = -Infinity;

  constructor(private readonly options: { startedAt: number; intervalMs: number }) {}

  update(progress: StepProgress): void {
    this.latest = progress;
  }

  due(now: number): string | undefined {
    if (!this.latest || now - this.shownAt < this.options.intervalMs) return undefined;
    this.shownAt = now;
    return formatStepProgress(this.latest, now - this.options.startedAt);
  }
}
