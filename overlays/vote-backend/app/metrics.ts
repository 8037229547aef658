/**
 * The service's numbers, kept per worker as plain data (a snapshot), added up across the
 * workers by the primary process and written in Prometheus' text exposition format (version
 * 0.0.4: `# HELP`, `# TYPE`, one `name{labels} value` line per series; a histogram is its
 * cumulative `_bucket{le=...}` series, `_sum` and `_count`). About eighty lines by hand rather
 * than prom-client, whose cluster support needs its own messages between the processes and
 * which would triple the bundle for these dozen series.
 */
import type { RefusalReason } from './vote-request.js';

/** Upper bounds of the batch-size buckets (votes). */
const BATCH_BUCKETS = [1, 10, 100, 1000, 2500, 5000, 10_000, 25_000, 100_000];
/** Upper bounds of the commit-latency buckets (seconds). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Histogram {
  /** Count per bucket, not cumulative; the last is +Inf. */
  counts: number[];
  sum: number;
}

/** One worker's numbers, or their sum. */
export interface MetricsSnapshot {
  accepted: number;
  rejected: Record<string, number>;
  committed: number;
  databaseErrors: Record<string, number>;
  batchSize: Histogram;
  commitSeconds: Histogram;
  /** Gauges: votes waiting for the database, journal bytes. */
  journalPending: number;
  journalBytes: number;
  /** Workers counted, those still starting (reading their journal, taking no votes yet), those whose journal cannot write, those that hold the most votes they may, and those connected to the database. */
  workers: number;
  starting: number;
  journalDegraded: number;
  journalFull: number;
  databaseConnected: number;
  /** Connected workers by the database endpoint they use. */
  databaseEndpoints: Record<string, number>;
}

/** What a worker reads when a snapshot is taken. */
export type Gauges = Pick<MetricsSnapshot, 'journalPending' | 'journalBytes' | 'journalDegraded' | 'journalFull' | 'databaseConnected' | 'databaseEndpoints'>;

const emptyHistogram = (buckets: readonly number[]): Histogram => ({ counts: Array<number>(buckets.length + 1).fill(0), sum: 0 });

export function emptySnapshot(): MetricsSnapshot {
  return { accepted: 0, rejected: {}, committed: 0, databaseErrors: {}, batchSize: emptyHistogram(BATCH_BUCKETS), commitSeconds: emptyHistogram(LATENCY_BUCKETS), journalPending: 0, journalBytes: 0, workers: 0, starting: 0, journalDegraded: 0, journalFull: 0, databaseConnected: 0, databaseEndpoints: {} };
}

/**
 * What a worker that is still starting answers for itself: counted, and counted as starting, with
 * nothing else yet (its journal is being read: how many votes it holds is not known until then).
 */
export const startingSnapshot = (): MetricsSnapshot => ({ ...emptySnapshot(), workers: 1, starting: 1 });

function observe(histogram: Histogram, buckets: readonly number[], value: number): void {
  const at = buckets.findIndex((bound) => value <= bound);
  histogram.counts[at === -1 ? buckets.length : at]! += 1;
  histogram.sum += value;
}

/** A worker's counters; the gauges are read when a snapshot is taken. */
export class Metrics {
  readonly #data = emptySnapshot();

  constructor(private readonly gauges: () => Gauges) {}

  accepted(): void {
    this.#data.accepted++;
  }

  rejected(reason: RefusalReason): void {
    this.#data.rejected[reason] = (this.#data.rejected[reason] ?? 0) + 1;
  }

  batchCommitted(size: number, seconds: number): void {
    this.#data.committed += size;
    observe(this.#data.batchSize, BATCH_BUCKETS, size);
    observe(this.#data.commitSeconds, LATENCY_BUCKETS, seconds);
  }

  /** Counted by the connector's error code (ER_LOCK_DEADLOCK, ECONNREFUSED...); the message goes to the log. */
  databaseError(error: unknown): void {
    const code = (error as { code?: unknown }).code;
    const kind = typeof code === 'string' && /^[A-Z_0-9]{1,64}$/.test(code) ? code : 'OTHER';
    this.#data.databaseErrors[kind] = (this.#data.databaseErrors[kind] ?? 0) + 1;
  }

  snapshot(): MetricsSnapshot {
    return { ...structuredClone(this.#data), ...this.gauges(), workers: 1 };
  }
}

const addRecords = (a: Record<string, number>, b: Record<string, number>) => {
  for (const [key, value] of Object.entries(b)) a[key] = (a[key] ?? 0) + value;
};

/** The sum of several workers' snapshots. */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const total = emptySnapshot();
  for (const snapshot of snapshots) {
    total.accepted += snapshot.accepted;
    total.committed += snapshot.committed;
    total.journalPending += snapshot.journalPending;
    total.journalBytes += snapshot.journalBytes;
    total.workers += snapshot.workers;
    total.starting += snapshot.starting;
    total.journalDegraded += snapshot.journalDegraded;
    total.journalFull += snapshot.journalFull;
    total.databaseConnected += snapshot.databaseConnected;
    addRecords(total.databaseEndpoints, snapshot.databaseEndpoints);
    addRecords(total.rejected, snapshot.rejected);
    addRecords(total.databaseErrors, snapshot.databaseErrors);
    for (const key of ['batchSize', 'commitSeconds'] as const) {
      snapshot[key].counts.forEach((count, at) => (total[key].counts[at]! += count));
      total[key].sum += snapshot[key].sum;
    }
  }
  return total;
}

function histogramLines(name: string, histogram: Histogram, buckets: readonly number[]): string[] {
  let cumulative = 0;
  const lines = buckets.map((bound, at) => `${name}_bucket{le="${bound}"} ${(cumulative += histogram.counts[at]!)}`);
  cumulative += histogram.counts[buckets.length]!;
  return [...lines, `${name}_bucket{le="+Inf"} ${cumulative}`, `${name}_sum ${histogram.sum}`, `${name}_count ${cumulative}`];
}

const header = (name: string, type: string, help: string) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
/** A label value as the exposition format wants it: backslash, double quote and line feed escaped. */
const labelValue = (text: string) => text.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
const labelled = (name: string, label: string, values: Record<string, number>) =>
  Object.entries(values).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${name}{${label}="${labelValue(key)}"} ${value}`);

/** The snapshot in Prometheus' text format. */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const p = 'mcdebian_vote_';
  return [
    ...header(`${p}accepted_total`, 'counter', 'Votes answered 202: on disk in the journal.'), `${p}accepted_total ${snapshot.accepted}`,
    ...header(`${p}rejected_total`, 'counter', 'Votes refused, by reason.'), ...labelled(`${p}rejected_total`, 'reason', snapshot.rejected),
    ...header(`${p}committed_total`, 'counter', 'Votes committed to the database (a replayed vote the table had already counts again here).'), `${p}committed_total ${snapshot.committed}`,
    ...header(`${p}journal_pending_votes`, 'gauge', 'Votes in the journal that the database does not have yet.'), `${p}journal_pending_votes ${snapshot.journalPending}`,
    ...header(`${p}journal_bytes`, 'gauge', 'Size of the journal files.'), `${p}journal_bytes ${snapshot.journalBytes}`,
    ...header(`${p}workers`, 'gauge', 'Worker processes that answered.'), `${p}workers ${snapshot.workers}`,
    ...header(`${p}starting_workers`, 'gauge', 'Workers still reading their journal at start (they take no votes yet).'), `${p}starting_workers ${snapshot.starting}`,
    ...header(`${p}journal_degraded_workers`, 'gauge', 'Workers whose journal cannot write (they answer 503).'), `${p}journal_degraded_workers ${snapshot.journalDegraded}`,
    ...header(`${p}journal_full_workers`, 'gauge', 'Workers that hold the most votes they may for the database (they answer 503).'), `${p}journal_full_workers ${snapshot.journalFull}`,
    ...header(`${p}database_connected_workers`, 'gauge', 'Workers connected to the database.'), `${p}database_connected_workers ${snapshot.databaseConnected}`,
    ...header(`${p}database_endpoint_workers`, 'gauge', 'Connected workers by database endpoint.'), ...labelled(`${p}database_endpoint_workers`, 'endpoint', snapshot.databaseEndpoints),
    ...header(`${p}batch_size_votes`, 'histogram', 'Votes per committed batch.'), ...histogramLines(`${p}batch_size_votes`, snapshot.batchSize, BATCH_BUCKETS),
    ...header(`${p}commit_seconds`, 'histogram', 'Time to insert and commit one batch.'), ...histogramLines(`${p}commit_seconds`, snapshot.commitSeconds, LATENCY_BUCKETS),
    ...header(`${p}database_errors_total`, 'counter', 'Failed batches and queries, by the connector\'s error code.'), ...labelled(`${p}database_errors_total`, 'code', snapshot.databaseErrors),
    '',
  ].join('\n');
}
