/**
 * Drives U-Boot's console, opened by console-stream.ts: stops the autoboot, runs one command at
 * a time and waits for the prompt, and fails on U-Boot's error words. Every byte the board sends
 * goes to the transcript, which therefore also shows every command (U-Boot echoes).
 *
 * Each command is typed, its echo checked, and only then is Enter sent: a character lost on the
 * line is caught before a mangled `nand erase` runs (the line is dropped with Ctrl-C).
 */
import type { Duplex } from 'node:stream';
import { UserError } from '../build/core/errors.js';

/** A U-Boot command whose output shows it failed. */
export class UBootCommandError extends UserError {
  constructor(command: string, line: string, transcript?: string) {
    super(`U-Boot command \`${command}\` failed: ${line.trim()}`, { hint: transcript ? `the whole console session is in ${transcript}` : undefined });
    this.name = 'UBootCommandError';
  }
}

export interface UBootConsoleOptions {
  /** What U-Boot prints when it waits for a command (`Marvell>> `, `=> `). */
  prompt: string;
  /** Receives every byte the board sends. */
  transcript?: NodeJS.WritableStream;
  /** Named in errors, so the user finds the session. */
  transcriptPath?: string;
  /** How long a typed line may take to echo back; 5 s by default. */
  echoTimeoutMs?: number;
}

const SECOND = 1000;

/** Words U-Boot prints when a command fails; checked in the output of every command run. */
export const UBOOT_ERROR_PATTERNS: readonly RegExp[] = [
  /Unknown command/,
  /Bad Data CRC/,
  /Retry count exceeded/,
  /\berror\b/i,
  /\bfailed\b/i,
  /\bUsage:/,
  /\bcan't\b/i,
];

export class UBootConsole {
  /** What arrived since the current wait began. */
  private text = '';
  /** The last bytes received, for error messages. */
  private tail = '';
  private waiter: (() => void) | undefined;
  private closed: Error | undefined;
  private readonly promptAtEnd: RegExp;

  constructor(private readonly stream: Duplex, private readonly options: UBootConsoleOptions) {
    this.promptAtEnd = new RegExp(`(?:^|\\n)${escapeRegExp(options.prompt)}$`);
    stream.on('data', (chunk: Buffer) => {
      options.transcript?.write(chunk);
      this.text += chunk.toString('latin1');
      this.tail = (this.tail + chunk.toString('latin1')).slice(-1000);
      this.waiter?.();
    });
    const end = (error?: Error) => {
      this.closed ??= error ?? new Error('closed');
      this.waiter?.();
    };
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', end);
  }

  /**
   * Waits for the autoboot countdown and presses Enter until the prompt answers. Enter also goes
   * out once a second before the countdown, which finds a U-Boot already at its prompt.
   */
  async stopAutoboot(timeoutMs: number): Promise<void> {
    this.text = '';
    let countdown = false;
    const press = () => this.stream.write('\r');
    press();
    const slow = setInterval(() => { if (!countdown) press(); }, SECOND);
    const fast = setInterval(() => { if (countdown) press(); }, 100);
    try {
      await this.waitFor(timeoutMs, 'autoboot countdown ("Hit any key to stop autoboot") and prompt', (text) => {
        countdown ||= /Hit any key to stop autoboot/.test(text);
        return this.promptAtEnd.test(text) ? true : undefined;
      });
    } finally {
      clearInterval(slow);
      clearInterval(fast);
    }
    await this.settle();
  }

  /** Runs one command and returns its output (between the echoed line and the prompt). */
  async run(command: string, options: { timeoutMs: number; expect?: RegExp; check?: boolean }): Promise<string> {
    await this.type(command);
    const output = await this.waitFor(options.timeoutMs, `prompt after \`${command}\``, (text) => {
      if (options.check !== false) {
        const failure = UBOOT_ERROR_PATTERNS.map((pattern) => lineMatching(text, pattern)).find((line) => line !== undefined);
        if (failure !== undefined) throw new UBootCommandError(command, failure, this.options.transcriptPath);
      }
      return this.promptAtEnd.test(text) ? text.slice(0, -this.options.prompt.length).replace(/^\r?\n/, '') : undefined;
    });
    if (options.expect && !options.expect.test(output)) {
      throw new UBootCommandError(command, `its output lacks ${options.expect.source}: ${lastLine(output)}`, this.options.transcriptPath);
    }
    return output;
  }

  /** Types a command that does not come back to the prompt (`reset`). */
  async send(command: string): Promise<void> {
    await this.type(command);
  }

  /** Waits for `ok` in what the board prints, failing early on any of `fail`. */
  async expect(ok: RegExp, fail: readonly RegExp[], timeoutMs: number, what: string): Promise<string> {
    return this.waitFor(timeoutMs, what, (text) => {
      const failure = fail.map((pattern) => lineMatching(text, pattern)).find((line) => line !== undefined);
      if (failure !== undefined) throw new UserError(`no ${what}: U-Boot printed ${JSON.stringify(failure.trim())}`, { hint: this.hint() });
      return ok.test(text) ? text : undefined;
    });
  }

  close(): void {
    this.stream.destroy();
  }

  /** Types the line, waits for U-Boot's echo of all of it, then Enter. */
  private async type(command: string): Promise<void> {
    this.text = '';
    this.stream.write(command);
    try {
      await this.waitFor(this.options.echoTimeoutMs ?? 5 * SECOND, `echo of \`${command}\``, (text) => (text.includes(command) ? true : undefined));
    } catch (error) {
      this.stream.write('\x03'); // Ctrl-C: U-Boot drops the line
      throw new UserError(`U-Boot did not echo \`${command}\` back intact, so it was not run`, {
        hint: `characters are lost on the console line; check the cable and the speed${this.options.transcriptPath ? ` (transcript: ${this.options.transcriptPath})` : ''}`,
        cause: error,
      });
    }
    this.text = this.text.slice(this.text.indexOf(command) + command.length);
    this.stream.write('\r');
  }

  /** Lets the prompts that extra key presses caused arrive, then forgets them. */
  private async settle(): Promise<void> {
    for (let seen = -1; seen !== this.text.length;) {
      seen = this.text.length;
      await new Promise((done) => setTimeout(done, 300));
    }
    this.text = '';
  }

  private waitFor<T>(timeoutMs: number, what: string, test: (text: string) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (action: () => void) => {
        clearTimeout(timer);
        this.waiter = undefined;
        action();
      };
      const check = () => {
        try {
          const result = test(this.text);
          if (result !== undefined) return finish(() => resolve(result));
        } catch (error) {
          return finish(() => reject(error));
        }
        if (this.closed) finish(() => reject(new UserError(`the console closed while waiting (${what})`, { hint: this.hint() })));
      };
      const timer = setTimeout(() => finish(() => reject(new UserError(
        `no ${what} within ${Math.round(timeoutMs / 100) / 10} s; the console's last line: ${JSON.stringify(lastLine(this.tail))}`,
        { hint: this.hint() },
      ))), timeoutMs);
      this.waiter = check;
      check();
    });
  }

  private hint(): string | undefined {
    return this.options.transcriptPath ? `the whole console session is in ${this.options.transcriptPath}` : undefined;
  }
}

function lineMatching(text: string, pattern: RegExp): string | undefined {
  return text.split(/\r?\n/).find((line) => pattern.test(line));
}

function lastLine(text: string): string {
  return text.trimEnd().split(/\r?\n/).at(-1) ?? '';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
