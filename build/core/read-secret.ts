/**
 * Reading a secret typed on a terminal without showing it. Node's readline does the line
 * editing (backspace, Ctrl-U, Enter as \r or \n) in raw mode, which also turns the terminal's
 * echo off (termios(3): raw mode clears ECHO); what readline would echo goes to a stream that
 * drops it. In raw mode Ctrl-C is a key, not a signal, so it is turned into InterruptedError
 * here, and readline puts the terminal back in its old mode when it closes.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { InterruptedError, UserError } from './errors.js';

/** A terminal's input: process.stdin when it is a TTY, or a fake one in tests. */
export type TerminalInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Swallows readline's echo of the typed keys. */
const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Asks each prompt in turn (`say` shows it, e.g. on stderr) and reads one line per prompt with
 * echo off. Rejects with InterruptedError on Ctrl-C and with a UserError when the input ends
 * (Ctrl-D) before every answer was given.
 */
export function readSecretLines(input: TerminalInput, options: { prompts: readonly string[]; say(prompt: string): void }): Promise<string[]> {
  const lines = createInterface({ input, output: discard(), terminal: true, historySize: 0 });
  const answers: string[] = [];
  return new Promise<string[]>((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      lines.close();
      if (error) reject(error);
      else resolve(answers);
    };
    lines.on('line', (line) => {
      answers.push(line);
      if (answers.length === options.prompts.length) finish();
      else options.say(options.prompts[answers.length]!);
    });
    lines.on('SIGINT', () => finish(new InterruptedError('Ctrl-C')));
    lines.on('close', () => finish(new UserError(`the input ended before ${options.prompts[answers.length] ?? 'the answer'} was given`)));
    options.say(options.prompts[0]!);
  });
}
