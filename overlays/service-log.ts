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
