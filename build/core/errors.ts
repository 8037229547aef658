/**
 * The error types every layer throws. Only build/cli.ts prints them (mkosi's `die(message, hint)`,
 * changesets' single top-level handler): a UserError is something the user can fix and is shown
 * without a stack; anything else is a bug and is shown with one.
 */

export interface UserErrorOptions {
  /** How to fix it: the command to run, the field to change. */
  hint?: string;
  cause?: unknown;
}

/** Something the user can fix: a bad flag, a broken config, a missing host tool. */
export class UserError extends Error {
  readonly hint?: string;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
  }
}

/** A checksum or size that is not what it must be (etcher-sdk's VerificationError). */
export class VerificationError extends UserError {
  readonly expected: string;
  readonly actual: string;

  constructor(what: string, expected: string | number, actual: string | number, options: UserErrorOptions = {}) {
    super(`${what}: expected ${expected}, got ${actual}`, options);
    this.name = 'VerificationError';
    this.expected = String(expected);
    this.actual = String(actual);
  }
}

export interface CommandFailure {
  argv: readonly string[];
  exitCode?: number;
  signal?: string;
  stderr?: string;
}

/** How many trailing stderr lines a failed command shows. */
const STDERR_TAIL_LINES = 15;

/** The one formatter for failed commands: the command, its exit code or signal, its stderr's tail. */
export function formatCommandFailure(failure: CommandFailure): string {
  const how = failure.signal ? `was killed by ${failure.signal}` : `exited with code ${failure.exitCode ?? 'unknown'}`;
  const lines = [`command ${quoteArgv(failure.argv)} ${how}`];
  const tail = (failure.stderr ?? '').trimEnd().split('\n').slice(-STDERR_TAIL_LINES).filter((line) => line !== '');
  if (tail.length > 0) lines.push(...tail.map((line) => `  | ${line}`));
  return lines.join('\n');
}

/** A host command that failed. */
export class CommandError extends UserError {
  readonly failure: CommandFailure;

  constructor(failure: CommandFailure, options: UserErrorOptions = {}) {
    super(formatCommandFailure(failure), options);
    this.name = 'CommandError';
    this.failure = failure;
  }
}

/** Quotes an argv for display so that it can be pasted into a shell. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** The build was interrupted (Ctrl-C, SIGTERM); exit code 130 like a shell. */
export class InterruptedError extends UserError {
  constructor(signal: string) {
    super(`interrupted by ${signal}; cleanup done, nothing partial was kept`);
    this.name = 'InterruptedError';
  }
}
