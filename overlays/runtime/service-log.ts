/**
 * Shared by the overlays' Node services (each bundles its own copy).
 * One line per event on stdout (information) or stderr (warnings, errors), which systemd sends
 * to the journal. Under systemd (JOURNAL_STREAM set) each line carries its sd-daemon(3) level
 * prefix, `<6>` `<4>` `<3>`, so `journalctl -p warning` finds the failures.
 */

/** Where the service writes what happens. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The process's log; newlines inside a message are flattened so each event stays one line. */
export function createLog(env: NodeJS.ProcessEnv = process.env): Log {
  const journal = env.JOURNAL_STREAM !== undefined;
  const write = (stream: NodeJS.WriteStream, level: number, message: string) =>
    stream.write(`${journal ? `<${level}>` : ''}${message.replaceAll(/\r?\n/g, ' | ')}\n`);
  return {
    info: (message) => write(process.stdout, 6, message),
    warn: (message) => write(process.stderr, 4, message),
    error: (message) => write(process.stderr, 3, message),
  };
}

/** A log that keeps its lines, for tests. */
export function createMemoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}

/** How the lines of one kind are limited. */
export interface RepeatLimit {
  /** Lines written at the start of a flood before the rest are only counted (default 5). */
  burst?: number;
  /** How often the counted lines are summed up in one line, in ms (default 60 s). */
  intervalMs?: number;
}

type Level = keyof Log;
const LEVELS: readonly Level[] = ['info', 'warn', 'error'];

interface Repeats {
  burst: number;
  intervalMs: number;
  written: number;
  counted: number;
  level: Level;
  last: string;
  /** When the current interval began: the kind's first line, or the last summary. */
  since: number;
  /** Set while lines are being counted. */
  timer: NodeJS.Timeout | undefined;
}

/** Per log, per kind: what has been written and counted in the current interval. */
const repeatsOf = new WeakMap<Log, Map<string, Repeats>>();

/**
 * The log for lines that can come in floods (one per deliver_sm, per failed login, per DLR URL
 * that fails): of each kind the first few are written, the others counted, and once an
 * interval one line says how many more there were and shows the last. A quiet interval ends
 * the flood, so the next line of the kind is written again. The kind is the caller's name for
 * the event, not its text, which differs by number, address and id from line to line. A
 * router's journal (journald rate-limits by service, dropping everything alike) keeps room for
 * the lines that matter: 50,000 receipts nobody awaits must not push out the one link failure.
 */
export function limitRepeats(log: Log, kind: string, limit: RepeatLimit = {}): Log {
  const line = (level: Level) => (message: string) => {
    const kinds = repeatsOf.get(log) ?? new Map<string, Repeats>();
    repeatsOf.set(log, kinds);
    const now = Date.now();
    const repeats = kinds.get(kind) ?? { burst: limit.burst ?? 5, intervalMs: limit.intervalMs ?? 60_000, written: 0, counted: 0, level: 'info', last: '', since: now, timer: undefined };
    kinds.set(kind, repeats);
    // nothing counted and an interval gone by since the first line: a new flood
    if (!repeats.timer && now - repeats.since >= repeats.intervalMs) Object.assign(repeats, { written: 0, since: now });
    if (repeats.written < repeats.burst) {
      repeats.written += 1;
      log[level](message);
      return;
    }
    repeats.counted += 1;
    repeats.last = message;
    if (LEVELS.indexOf(level) > LEVELS.indexOf(repeats.level)) repeats.level = level;
    if (!repeats.timer) startInterval(log, kind, repeats);
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** Writes the summaries still pending on this log now, and forgets every kind (a service stopping). */
export function flushRepeats(log: Log): void {
  for (const [kind, repeats] of repeatsOf.get(log) ?? []) {
    clearTimeout(repeats.timer);
    summarise(log, kind, repeats);
  }
  repeatsOf.delete(log);
}

/** Counting has begun: the summary comes at the end of the interval, and again each interval the flood goes on. */
function startInterval(log: Log, kind: string, repeats: Repeats): void {
  repeats.timer = setTimeout(() => {
    repeats.timer = undefined;
    if (repeats.counted === 0) {
      repeatsOf.get(log)?.delete(kind);
      return;
    }
    summarise(log, kind, repeats);
    repeats.since = Date.now();
    startInterval(log, kind, repeats);
  }, repeats.intervalMs);
  // a summary still to come must not keep a stopping process alive
  repeats.timer.unref();
}

function summarise(log: Log, kind: string, repeats: Repeats): void {
  if (repeats.counted === 0) return;
  const seconds = Math.max(1, Math.round((Date.now() - repeats.since) / 1000));
  log[repeats.level](`${repeats.counted} more like this in the last ${seconds} s (${kind}); the last: ${repeats.last}`);
  repeats.counted = 0;
  repeats.level = 'info';
}
