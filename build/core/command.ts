/**
 * What a command of the mcdebian CLI is: its flags (each described, for `--help`), its usage
 * line, how many arguments it takes and how it runs; or a group of such commands (`flash usb`,
 * `dns-blacklist import`). build/cli.ts parses argv against them and is the only place that
 * prints final errors. Overlays define their commands with these types too, so they live here,
 * below everything that has commands.
 */
import type { Logger } from './log.js';
import { UserError } from './errors.js';

/** What every command gets from the CLI: where to write, the environment, the logger. */
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  /** Standard input, for commands that read a password or a list. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  logger: Logger;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A command's result: the process exit code. */
export type ExitCode = number;

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
    this.name = 'UsageError';
  }
}

/** One flag: its type for node:util parseArgs, and what `--help` says of it. */
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in `--help` (FILE, ID, N); string flags only. */
  value?: string;
  description: string;
}

/** The flags as parsed: a string, true, or a list for `multiple` flags. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  summary: string;
  /** The synopsis after "Usage: ". */
  usage: string;
  flags: Record<string, Flag>;
  /** How many positional arguments the command takes (none when absent). */
  positionals?: { min: number; max: number };
  run(context: CommandContext, values: FlagValues, positionals: string[]): Promise<ExitCode> | ExitCode;
}

/** A command with subcommands, each with its own flags: `mcdebian flash usb ...`. */
export interface CommandGroup {
  summary: string;
  /** What comes after the group's name, for errors: "usb, sftp or tftp". */
  expected: string;
  subcommands: Record<string, Command>;
}

export type CommandEntry = Command | CommandGroup;

export const isCommandGroup = (entry: CommandEntry): entry is CommandGroup => 'subcommands' in entry;

/** Flags many commands share, described once. */
export const commonFlags = {
  board: { type: 'string', short: 'b', value: 'ID', description: 'the board (mcdebian boards lists them)' },
  config: { type: 'string', short: 'c', value: 'FILE', description: 'mcdebian.yaml; its board is used when --board is absent' },
  json: { type: 'boolean', description: 'print the result as JSON on stdout' },
} as const satisfies Record<string, Flag>;

/** A string flag's value, or undefined. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string flag's values. */
export function listFlag(values: FlagValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** A whole number within limits, or a usage error naming the flag. */
export function integerFlag(values: FlagValues, name: string, limits: { fallback: number; min: number; max: number }): number {
  const text = values[name];
  if (text === undefined) return limits.fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new UsageError(`--${name} must be a whole number from ${limits.min} to ${limits.max}, not "${String(text)}"`);
  }
  return value;
}

/** Writes a value as pretty JSON with a trailing newline. */
export function writeJson(context: CommandContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
