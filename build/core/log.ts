/**
 * The logger library code is handed through its context; library code never calls `console`.
 */

export type LogLevel = 'debug' | 'info' | 'warn';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** A logger that drops everything: for pure callers and tests that do not look at logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

/** A logger that keeps every line, for tests that assert on what was logged. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`debug: ${message}`),
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
  };
}

/** A logger writing to a stream (stderr in the CLI), debug lines only when asked for. */
export function createStreamLogger(stream: NodeJS.WritableStream, options: { debug: boolean }): Logger {
  return {
    debug: (message) => { if (options.debug) stream.write(`debug: ${message}\n`); },
    info: (message) => stream.write(`${message}\n`),
    warn: (message) => stream.write(`warning: ${message}\n`),
  };
}
