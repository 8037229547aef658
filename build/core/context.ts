/**
 * What a running build hands its steps: the logger, command execution that records every
 * command and its output in build.log, LIFO cleanup, the cancellation signal, progress reports
 * the runner shows, and the state steps pass on (the SOURCE_DATE_EPOCH of the base, the kernel
 * release found in it).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import { CommandError, quoteArgv, UserError } from './errors.js';
import type { Logger } from './log.js';
import type { StepProgress } from './progress.js';

export interface ExecOptions {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Debian package providing argv[0], named when it is missing. */
  debianPackage?: string;
  /** Called with each line the command prints on stdout or stderr, as it prints it. */
  onLine?(line: string): void;
}

export interface BuildState {
  /** Timestamp every artifact carries, from the base's bootstrap. */
  sourceDateEpoch?: number;
  /** `uname -r` of the kernel installed in the root filesystem. */
  kernelRelease?: string;
  /** The flash budget computed from the real blob's parts (budget.ts's FlashBudget). */
  budget?: unknown;
}

export interface BuildContext {
  logger: Logger;
  signal: AbortSignal;
  state: BuildState;
  /** Runs a command, logging it and its output to build.log; throws CommandError on failure. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<{ stdout: string; stderr: string }>;
  /** Registers a cleanup; cleanups run last-in-first-out after the steps, even on failure. */
  defer(cleanup: () => Promise<void> | void, what: string): void;
  /** Appends a line to build.log. */
  log(line: string): void;
  /**
   * Says what a long step is doing now; call it as often as the work moves. The runner shows the
   * latest report with the step's elapsed time (progress.ts); nothing goes to build.log.
   */
  progress(update: StepProgress): void;
}

export interface ContextHandle {
  context: BuildContext;
  /** Runs the registered cleanups; returns the errors they raised (never throws). */
  cleanup(): Promise<Error[]>;
  /** Closes build.log. */
  close(): Promise<void>;
  /** Where `context.progress` reports go: the runner points it at the running step's view. */
  setProgressListener(listener: ((update: StepProgress) => void) | undefined): void;
}

/** Hints for failures whose cause the stderr tail shows. */
function hintFor(stderr: string): string | undefined {
  if (/No space left on device/i.test(stderr)) return 'the disk is full: free space where the cache (XDG_CACHE_HOME) and the output directory live (df -h)';
  if (/exec format error|cannot execute binary file/i.test(stderr)) return 'foreign binaries do not run: register qemu-user-static with binfmt_misc (mcdebian doctor)';
  if (/Unable to locate package|has no installation candidate/.test(stderr)) return 'check the package names in packages: of mcdebian.yaml (apt-cache policy NAME)';
  return undefined;
}

/** SIGTERM to a command's process group, SIGKILL to what is left 5 s later. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  const signal = (name: NodeJS.Signals) => { try { process.kill(-pid, name); } catch { /* already gone */ } };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), 5000).unref();
}

export function createBuildContext(options: { logger: Logger; logFile: string; signal: AbortSignal }): ContextHandle {
  const logStream: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const cleanups: { cleanup: () => Promise<void> | void; what: string }[] = [];
  const log = (line: string) => logStream.write(`${line}\n`);
  let progressListener: ((update: StepProgress) => void) | undefined;
  const context: BuildContext = {
    logger: options.logger,
    signal: options.signal,
    state: {},
    log,
    progress: (update) => progressListener?.(update),
    defer: (cleanup, what) => cleanups.push({ cleanup, what }),
    async exec(argv, execOptions = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('exec: empty argv');
      log(`$ ${quoteArgv(argv)}`);
      const started = Date.now();
      const child = execa(file, args, {
        ...(execOptions.stdin === undefined ? { stdin: 'ignore' as const } : { input: execOptions.stdin }),
        env: execOptions.env,
        cwd: execOptions.cwd,
        reject: false,
        all: true,
        // Each command gets its own process group, so that cancelling kills the whole tree
        // (chroot execs update-initramfs, which forks mkinitramfs, ...), not just its leader.
        detached: true,
        // execa's cleanup (signal-exit) re-raises SIGINT when it counts as many of its own handlers
        // as the process has listeners, which kills the build before it can clean up; the build's
        // own SIGINT/SIGTERM handler cancels the command group instead
        cleanup: false,
        maxBuffer: 256 * 1024 * 1024,
      });
      child.all?.on('data', (chunk: Buffer) => logStream.write(chunk));
      // each stream is split on its own: a line one of them has not finished is not joined to the other's
      if (execOptions.onLine) for (const stream of [child.stdout, child.stderr]) forEachLine(stream, execOptions.onLine);
      const cancel = () => killGroup(child.pid);
      options.signal.addEventListener('abort', cancel, { once: true });
      const result = await child;
      options.signal.removeEventListener('abort', cancel);
      log(`# exit ${result.exitCode ?? result.signal ?? '?'} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if ((result as { code?: string }).code === 'ENOENT') {
        throw new UserError(`${file} not found`, { hint: execOptions.debianPackage ? `apt-get install ${execOptions.debianPackage}` : 'mcdebian doctor lists what is missing' });
      }
      if (options.signal.aborted) throw new UserError('interrupted', { cause: options.signal.reason });
      if (result.failed) {
        const stderr = String(result.stderr);
        throw new CommandError({ argv, exitCode: result.exitCode, signal: result.signal, stderr }, { hint: hintFor(stderr) });
      }
      return { stdout: String(result.stdout), stderr: String(result.stderr) };
    },
  };
  return {
    context,
    async cleanup() {
      const errors: Error[] = [];
      for (const { cleanup, what } of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          errors.push(new Error(`cleanup "${what}" failed: ${(error as Error).message}`));
        }
      }
      cleanups.length = 0;
      return errors;
    },
    close: () => new Promise((resolve) => logStream.end(resolve)),
    setProgressListener: (listener) => { progressListener = listener; },
  };
}

/**
 * Splits bytes that come in chunks into lines (LF or CRLF), whatever the chunks' boundaries: a
 * line or a UTF-8 character may be split across chunks. `end` gives the last line when it has no
 * newline.
 */
export function createLineSplitter(onLine: (line: string) => void): { write(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  return {
    write(chunk) {
      const lines = (rest + decoder.write(chunk)).split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    end() {
      rest += decoder.end();
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** Calls `onLine` with each line a stream gives, the last one too when it ends unterminated. */
function forEachLine(stream: NodeJS.ReadableStream | undefined, onLine: (line: string) => void): void {
  const splitter = createLineSplitter(onLine);
  stream?.on('data', (chunk: Buffer) => splitter.write(chunk));
  stream?.on('end', () => splitter.end());
}
