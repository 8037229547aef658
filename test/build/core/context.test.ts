import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBuildContext } from '../../../build/core/context.js';
import { silentLogger } from '../../../build/core/log.js';
import type { StepProgress } from '../../../build/core/progress.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

test('a command\'s lines reach onLine as it prints them, stdout and stderr alike, and all of it still goes to build.log', async (t) => {
  const dir = await makeTempDir(t);
  const handle = createBuildContext({ logger: silentLogger, logFile: join(dir, 'build.log'), signal: new AbortController().signal });
  const lines: string[] = [];
  await handle.context.exec(['sh', '-c', 'printf "I: one...\\n"; printf "two\\r\\n" >&2; printf "thr"; printf "ee é\\nlast, unterminated"'], { onLine: (line) => lines.push(line) });
  await handle.close();
  // the two streams are two pipes: their lines come in either order, each whole
  t.deepEqual(lines.toSorted(), ['I: one...', 'last, unterminated', 'three é', 'two']);
  const log = await readFile(join(dir, 'build.log'), 'utf8');
  for (const text of ['I: one...\n', 'two\r\n', 'three é\nlast, unterminated']) t.true(log.includes(text), log);
});

test('progress reports go to the listener the runner sets, and nowhere once it is unset', async (t) => {
  const dir = await makeTempDir(t);
  const handle = createBuildContext({ logger: silentLogger, logFile: join(dir, 'build.log'), signal: new AbortController().signal });
  const seen: StepProgress[] = [];
  handle.context.progress({ phase: 'before any listener' });
  handle.setProgressListener((update) => seen.push(update));
  handle.context.progress({ phase: 'writing', counts: [{ label: 'written', done: 1, total: 2, unit: 'MiB' }] });
  handle.setProgressListener(undefined);
  handle.context.progress({ phase: 'after' });
  await handle.close();
  t.deepEqual(seen, [{ phase: 'writing', counts: [{ label: 'written', done: 1, total: 2, unit: 'MiB' }] }]);
  t.is(await readFile(join(dir, 'build.log'), 'utf8'), '');
});
