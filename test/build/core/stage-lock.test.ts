import test from 'ava';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryLogger } from '../../../build/core/log.js';
import { buildOnce, holdExclusively } from '../../../build/core/stage-lock.js';
import { UserError } from '../../../build/core/errors.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const quick = { min: 10, max: 50 };

/** A build that publishes the entry when released, counting how often it ran. */
function gatedBuild(entry: string) {
  let runs = 0;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  return {
    get runs() { return runs; },
    open: () => open(),
    async build() {
      runs++;
      await gate;
      await writeFile(entry, 'base');
    },
  };
}

test('two builders of one entry: the first builds, the second waits and reuses what it published', async (t) => {
  const dir = await makeTempDir(t);
  const entry = join(dir, 'base.tar');
  const logger = createMemoryLogger();
  const gated = gatedBuild(entry);
  const options = { entry, what: 'the base', isDone: () => existsSync(entry), build: () => gated.build(), logger, pollMs: quick };
  // the second starts once the first is building (started together, either may take the lock)
  const first = buildOnce(options);
  while (gated.runs === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const second = buildOnce(options);
  // the second says it waits (it tried the lock and found it held), and has not built
  while (!logger.lines.some((line) => line.includes('waiting for another build that is making the base'))) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(gated.runs, 1, 'the second does not start a build while the first holds the lock');
  gated.open();
  t.deepEqual(await Promise.all([first, second]), ['built', 'reused']);
  t.is(gated.runs, 1);
  t.false(existsSync(`${entry}.lock`), 'the lock is gone');
});

test('a failed build releases the lock, and the next builder builds', async (t) => {
  const dir = await makeTempDir(t);
  const entry = join(dir, 'layer');
  const logger = createMemoryLogger();
  const failing = buildOnce({ entry, what: 'the layer', isDone: () => existsSync(entry), build: async () => { throw new Error('mkfs failed'); }, logger, pollMs: quick });
  await t.throwsAsync(failing, { message: 'mkfs failed' });
  const result = await buildOnce({ entry, what: 'the layer', isDone: () => existsSync(entry), build: () => mkdir(entry).then(() => undefined), logger, pollMs: quick });
  t.is(result, 'built');
});

test('the lock of a builder that died (not refreshed for minutes) is taken over', async (t) => {
  const dir = await makeTempDir(t);
  const entry = join(dir, 'base.tar');
  await mkdir(`${entry}.lock`);
  const old = new Date(Date.now() - 10 * 60_000);
  await utimes(`${entry}.lock`, old, old);
  const result = await buildOnce({ entry, what: 'the base', isDone: () => existsSync(entry), build: () => writeFile(entry, 'base'), logger: createMemoryLogger(), pollMs: quick });
  t.is(result, 'built');
});

test('waiting stops when the build is interrupted', async (t) => {
  const dir = await makeTempDir(t);
  const entry = join(dir, 'base.tar');
  await mkdir(`${entry}.lock`); // a live holder: fresh mtime
  const abort = new AbortController();
  const waiting = buildOnce({ entry, what: 'the base', isDone: () => false, build: async () => undefined, logger: createMemoryLogger(), signal: abort.signal, pollMs: quick });
  setTimeout(() => abort.abort(new Error('interrupted by SIGINT')), 100);
  await t.throwsAsync(waiting, { message: 'interrupted by SIGINT' });
});

test('what a build holds exclusively is refused to a second build at once, naming the lock, and free again once released', async (t) => {
  const dir = await makeTempDir(t);
  const out = join(dir, 'out', 'qemu-armhf');
  const logger = createMemoryLogger();
  const release = await holdExclusively(out, out, logger);
  const error = await t.throwsAsync(holdExclusively(out, out, logger));
  t.true(error instanceof UserError);
  t.is(error?.message, `another build is writing ${out} (lock ${out}.lock)`);
  await release();
  t.false(existsSync(`${out}.lock`));
  const again = await holdExclusively(out, out, logger);
  await again();
});
