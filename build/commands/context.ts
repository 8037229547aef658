/** What every command gets from the CLI: where to write, the environment, the logger. */
import type { Logger } from '../core/log.js';

export interface CommandContext {
  stdout: NodeJS.WritableStream;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A command's result: the process exit code. */
export type ExitCode = number;

/** Writes a value as pretty JSON with a trailing newline. */
export function writeJson(context: CommandContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
