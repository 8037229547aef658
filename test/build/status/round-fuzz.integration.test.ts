/**
 * Property: whatever the commands of a round print (any text, marker-like lines of other
 * rounds, no final newline) and however they exit, the host's sh running roundScript and
 * parseRound give back each command's stdout, stderr and exit code exactly.
 */
import test from 'ava';
import { execa } from 'execa';
import fc from 'fast-check';
import { shellQuote } from '../../../flash/slot-commands.js';
import { newBoundary, parseRound, roundScript } from '../../../build/status/round.js';

/** Text a command may print: any characters but NUL (no shell word can hold one), and lines that look like markers. */
const printed = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => text.replaceAll('\0', '')),
  fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom('system 0 stdout', 'system 0 exit 0', 'end', 'callhome present')).map(([before, marker]) => `${before}\n${newBoundary()} ${marker}\n`),
);

const command = fc.record({ stdout: printed, stderr: printed, code: fc.integer({ min: 0, max: 125 }) });

test('every command\'s output and exit code come back exactly through sh and parseRound', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 6 }), async (commands) => {
      const groups = [{ name: 'system', commands: commands.map(({ stdout, stderr, code }) => `printf '%s' ${shellQuote(stdout)}; printf '%s' ${shellQuote(stderr)} >&2; exit ${code}`) }];
      const boundary = newBoundary();
      const result = await execa('sh', ['-s'], { input: roundScript(groups, boundary), stripFinalNewline: false, encoding: 'utf8' });
      const outputs = parseRound(String(result.stdout), groups, boundary).get('system')?.outputs;
      t.deepEqual(outputs, commands);
      return JSON.stringify(outputs) === JSON.stringify(commands);
    }),
    { numRuns: 150, interruptAfterTimeLimit: 45_000 },
  );
});
