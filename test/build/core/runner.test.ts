import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createBuildContext } from '../../../build/core/context.js';
import { InterruptedError, UserError } from '../../../build/core/errors.js';
import { createMemoryLogger } from '../../../build/core/log.js';
import { runSteps } from '../../../build/core/runner.js';
import type { Step } from '../../../build/core/step.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A step that records what happens to it in `events`. */
function recordingStep(id: string, events: string[], behaviour: { verify?: () => void; run?: () => void; cleanup?: () => void } = {}): Step {
  return {
    id, title: id, commands: [], writes: [], notes: [],
    async verify() {
      events.push(`verify ${id}`);
      behaviour.verify?.();
    },
    async run(ctx) {
      events.push(`run ${id}`);
      ctx.defer(() => {
        events.push(`cleanup ${id}`);
        behaviour.cleanup?.();
      }, `cleanup of ${id}`);
      behaviour.run?.();
    },
  };
}

async function setUp(t: Parameters<typeof makeTempDir>[0]) {
  const dir = await makeTempDir(t);
  const logger = createMemoryLogger();
  const logFile = join(dir, 'build.log');
  const handle = createBuildContext({ logger, logFile, signal: new AbortController().signal });
  t.teardown(() => handle.close());
  return { handle, logger, logFile };
}

test('every step is verified before any step runs', async (t) => {
  const { handle } = await setUp(t);
  const events: string[] = [];
  await runSteps(['a', 'b', 'c'].map((id) => recordingStep(id, events)), handle, { interactive: false });
  t.deepEqual(events, ['verify a', 'verify b', 'verify c', 'run a', 'run b', 'run c', 'cleanup c', 'cleanup b', 'cleanup a']);
});

test('a step that fails verification stops the build before any step runs, and is named', async (t) => {
  const { handle } = await setUp(t);
  const events: string[] = [];
  const steps = [recordingStep('a', events), recordingStep('kernel blob', events, { verify: () => { throw new UserError('no zImage', { hint: 'build the base first' }); } })];
  const error = await t.throwsAsync(runSteps(steps, handle, { interactive: false }), { instanceOf: UserError });
  t.is(error?.message, "step 'kernel blob' cannot run: no zImage");
  t.is((error as UserError).hint, 'build the base first');
  t.deepEqual(events, ['verify a', 'verify kernel blob']);
});

test('cleanups run last-in-first-out when a step fails, and the failed step is named', async (t) => {
  const { handle } = await setUp(t);
  const events: string[] = [];
  const steps = [recordingStep('a', events), recordingStep('b', events), recordingStep('kernel blob', events, { run: () => { throw new UserError('mkimage failed'); } }), recordingStep('d', events)];
  const error = await t.throwsAsync(runSteps(steps, handle, { interactive: false }), { instanceOf: UserError });
  t.is(error?.message, "step 'kernel blob' failed: mkimage failed");
  t.deepEqual(events.filter((event) => !event.startsWith('verify')), ['run a', 'run b', 'run kernel blob', 'cleanup kernel blob', 'cleanup b', 'cleanup a']);
});

test('a cleanup error never hides the step\'s error; it is logged and the other cleanups still run', async (t) => {
  const { handle, logger, logFile } = await setUp(t);
  const events: string[] = [];
  const steps = [
    recordingStep('a', events),
    recordingStep('b', events, { cleanup: () => { throw new Error('umount: target is busy'); } }),
    recordingStep('c', events, { run: () => { throw new UserError('the disk is full'); } }),
  ];
  const error = await t.throwsAsync(runSteps(steps, handle, { interactive: false }));
  t.is(error?.message, "step 'c' failed: the disk is full");
  t.deepEqual(events.filter((event) => event.startsWith('cleanup')), ['cleanup c', 'cleanup b', 'cleanup a']);
  t.true(logger.lines.some((line) => line.includes('cleanup "cleanup of b" failed: umount: target is busy')));
  await handle.close();
  t.regex(await readFile(logFile, 'utf8'), /cleanup error: cleanup "cleanup of b" failed: umount: target is busy/);
});

test('a bug in a step stays a bug (not a UserError) and keeps its stack, named after the step', async (t) => {
  const { handle } = await setUp(t);
  const steps = [recordingStep('manifest', [], { run: () => { throw new TypeError('cannot read properties of undefined'); } })];
  const error = await t.throwsAsync(runSteps(steps, handle, { interactive: false }));
  t.false(error instanceof UserError);
  t.is(error?.message, "step 'manifest' failed: cannot read properties of undefined");
  t.regex(error?.stack ?? '', /^step 'manifest' failed: TypeError: cannot read properties of undefined\n\s+at /);
});

test('an interruption is passed on as it is, so the build exits 130', async (t) => {
  const { handle } = await setUp(t);
  const interrupted = new InterruptedError('SIGINT');
  const error = await t.throwsAsync(runSteps([recordingStep('bootstrap', [], { run: () => { throw interrupted; } })], handle, { interactive: false }));
  t.is(error, interrupted);
});

test('in plain output a step\'s progress shows as a line with the elapsed time, not one line per report', async (t) => {
  const { handle, logFile } = await setUp(t);
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => { printed += chunk.toString(); });
  const step: Step = {
    id: 'bootstrap', title: 'Bootstrap', commands: [], writes: [], notes: [],
    async run(ctx) {
      for (let done = 1; done <= 500; done += 1) ctx.progress({ phase: 'installing essential packages', counts: [{ label: 'unpacked', done, total: 500 }] });
      // the runner shows the latest report on its next tick: wait for it (generously, the machine is busy)
      const deadline = Date.now() + 30_000;
      while (!printed.includes('unpacked 500/500') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
  await runSteps([step], handle, { interactive: false, output: output as unknown as NodeJS.WriteStream });
  const lines = printed.split('\n').filter((line) => line.includes('installing essential packages'));
  t.true(lines.length >= 1 && lines.length < 5, printed);
  t.regex(lines[0] ?? '', /installing essential packages: unpacked 500\/500 \(\d+ s\)$/);
  await handle.close();
  t.notRegex(await readFile(logFile, 'utf8'), /installing essential packages/, 'progress stays out of build.log');
});
