/**
 * build/core/read-secret.ts against a fake terminal: a stream that says it is a TTY and records
 * the modes it is put in. The real terminal is in test/overlays/dns-blacklist/cli.test.ts.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { InterruptedError, UserError } from '../../../build/core/errors.js';
import { readSecretLines } from '../../../build/core/read-secret.js';

function fakeTerminal() {
  const modes: boolean[] = [];
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (mode: boolean) => { modes.push(mode); } });
  return { input, modes };
}

test('each prompt is shown before its line is read, with the terminal in raw mode (no echo) until the last answer', async (t) => {
  const { input, modes } = fakeTerminal();
  const said: string[] = [];
  const answers = readSecretLines(input, {
    prompts: ['password:', 'again:'],
    say: (prompt) => {
      said.push(prompt);
      input.write(said.length === 1 ? 'first secret\r' : 'second\n');
    },
  });
  t.deepEqual(await answers, ['first secret', 'second']);
  t.deepEqual(said, ['password:', 'again:']);
  t.deepEqual(modes, [true, false], 'raw mode on while reading, then back');
});

test('backspace and Ctrl-U edit the line as on a terminal', async (t) => {
  const { input } = fakeTerminal();
  const answers = readSecretLines(input, { prompts: ['password:'], say: () => input.write('wrong\u0015secrex\u007ft\r') });
  t.deepEqual(await answers, ['secret']);
});

test('Ctrl-C rejects with InterruptedError and leaves raw mode', async (t) => {
  const { input, modes } = fakeTerminal();
  const answers = readSecretLines(input, { prompts: ['password:'], say: () => input.write('half\u0003') });
  await t.throwsAsync(answers, { instanceOf: InterruptedError });
  t.is(modes.at(-1), false);
});

test('the input ending before the second answer is an error naming the prompt', async (t) => {
  const { input } = fakeTerminal();
  const answers = readSecretLines(input, {
    prompts: ['password:', 'again:'],
    say: (prompt) => (prompt === 'password:' ? input.write('secret\r') : input.end()),
  });
  const error = await t.throwsAsync(answers, { instanceOf: UserError });
  t.is(error?.message, 'the input ended before again: was given');
});
