/**
 * Running host tools. Every command goes through here so that a failure is reported one way
 * (formatCommandFailure) and a missing tool names the Debian package that provides it.
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { CommandError, UserError } from './errors.js';

export interface RunOptions {
  /** Environment additions; the host environment is inherited. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Debian package that provides argv[0], named in the error when it is missing. */
  debianPackage?: string;
  /** Kill the command after this many milliseconds. */
  timeoutMs?: number;
  /** Exit codes besides 0 that are not failures (dpkg-query exits 1 when a package is absent). */
  acceptExitCodes?: readonly number[];
  /** Data for the command's stdin. */
  stdin?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its output; throws CommandError on failure. */
export async function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  const result = await execa(file, args, {
    env: options.env,
    cwd: options.cwd,
    reject: false,
    ...(options.stdin === undefined ? { stdin: 'ignore' as const } : { input: options.stdin }),
    timeout: options.timeoutMs,
  });
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new UserError(`${file} not found`, {
      hint: options.debianPackage ? `install the Debian package ${options.debianPackage}: apt-get install ${options.debianPackage}` : undefined,
    });
  }
  const accepted = result.exitCode !== undefined && options.acceptExitCodes?.includes(result.exitCode);
  if (result.failed && !accepted) {
    throw new CommandError({ argv, exitCode: result.exitCode, signal: result.signal, stderr: String(result.stderr) });
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The absolute path of an executable found on PATH, or undefined. */
export async function findExecutable(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
