/**
 * The CLI on a real pseudo-terminal, without a native module: util-linux's `script` runs it on
 * a pty and copies what the test types (its stdin) to the pty and everything the terminal shows
 * (the program's output and the terminal's own echo of typed keys) to its stdout.
 */
import { execa } from 'execa';
import { quoteArgv } from '../../../../build/core/errors.js';
import { CLI } from '../../../helpers/cli.js';

export interface Terminal {
  /** Everything the terminal has shown so far, typed keys the terminal echoed included. */
  screen(): string;
  /** Resolves once the screen matches; rejects when the program ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Types text as a keyboard would (Enter is "\r"). */
  type(text: string): void;
  /** The program's exit code (script -e passes it on). */
  exit(): Promise<number>;
}

/** Runs `mcdebian ARGS` on a pseudo-terminal. */
export function runOnTerminal(args: string[]): Terminal {
  const child = execa('script', ['-q', '-f', '-e', '-c', quoteArgv([process.execPath, CLI, ...args]), '/dev/null'], {
    reject: false, stdin: 'pipe', buffer: false, env: { TERM: 'dumb' },
  });
  let screen = '';
  let ended = false;
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    for (const wake of waiters) wake();
  });
  const done = child.then((result) => {
    ended = true;
    for (const wake of waiters) wake();
    return result.exitCode ?? -1;
  });
  return {
    screen: () => screen,
    waitFor: (pattern, timeoutMs = 60_000) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`the terminal did not show ${pattern} within ${timeoutMs} ms:\n${screen}`)), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (pattern.test(screen)) finish();
        else if (ended) finish(new Error(`the program ended before the terminal showed ${pattern}:\n${screen}`));
      };
      waiters.add(check);
      check();
    }),
    type: (text) => { child.stdin?.write(text); },
    exit: async () => {
      const code = await done;
      child.stdin?.end();
      return code;
    },
  };
}
