/**
 * Runs a build's steps: every step is verified before any runs, then each runs in order under
 * listr2 (drawn on a terminal, plain lines elsewhere) with its duration and what it reports of
 * its progress; the cleanups the steps registered run last-in-first-out even on failure, and a
 * cleanup failure never hides the original error.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { ContextHandle } from './context.js';
import { InterruptedError, UserError } from './errors.js';
import { PROGRESS_INTERVAL_MS, ProgressView } from './progress.js';
import type { Step } from './step.js';

export interface RunStepsOptions {
  /** Draw with listr2's default renderer (a terminal) or print plain lines (CI, pipes). */
  interactive: boolean;
  /** Where the steps are drawn; stderr unless said (stdout is for data: build --json). */
  output?: NodeJS.WriteStream;
}

export interface StepTiming {
  id: string;
  seconds: number;
  cached: boolean;
}

/** Verifies all steps, runs them, cleans up; returns each step's duration. */
export async function runSteps(steps: readonly Step[], handle: ContextHandle, options: RunStepsOptions): Promise<StepTiming[]> {
  const { context } = handle;
  const timings: StepTiming[] = [];
  const output = options.output ?? process.stderr;
  const progressLogger = new ListrLogger({ processOutput: new ProcessOutput(output, output) });
  try {
    for (const step of steps) {
      try {
        await step.verify?.(context);
      } catch (error) {
        throw inStep(step, 'cannot run', error);
      }
    }
    const tasks = new Listr(
      steps.map((step) => ({
        title: step.cached ? `${step.title} (cached)` : step.title,
        task: async (_: unknown, task: { title: string; output?: string }) => {
          const started = Date.now();
          context.log(`## ${step.id}: ${step.title}`);
          const stopProgress = showProgress(handle, { startedAt: started, interactive: options.interactive, show: (line) => { task.output = line; } });
          try {
            await step.run(context);
          } catch (error) {
            throw inStep(step, 'failed', error);
          } finally {
            stopProgress();
          }
          const seconds = (Date.now() - started) / 1000;
          timings.push({ id: step.id, seconds, cached: step.cached === true });
          context.log(`## ${step.id} done in ${seconds.toFixed(1)} s`);
          task.title = `${task.title} [${seconds.toFixed(1)} s]`;
        },
      })),
      {
        concurrent: false,
        exitOnError: true,
        // the build handles Ctrl-C itself (cleanup, exit 130); listr2's own handler would exit 127
        registerSignalListeners: false,
        renderer: options.interactive ? 'default' : 'simple',
        fallbackRenderer: 'simple',
        rendererOptions: { collapseErrors: false, logger: progressLogger },
        fallbackRendererOptions: { logger: progressLogger },
      },
    );
    await tasks.run();
    return timings;
  } finally {
    const errors = await handle.cleanup();
    for (const error of errors) {
      context.logger.warn(error.message);
      context.log(`cleanup error: ${error.message}`);
    }
  }
}

/**
 * Shows the running step's progress reports: on a terminal as listr2's output line under the
 * step (redrawn at most once a second, and every second so the elapsed time moves while the
 * step is quiet); elsewhere as one line every 12 s (listr2's simple renderer prints each output
 * as a line), so a 17-minute bootstrap in a CI log reads as a few dozen lines, not thousands.
 * Returns the function that stops it.
 */
function showProgress(handle: ContextHandle, options: { startedAt: number; interactive: boolean; show(line: string): void }): () => void {
  const view = new ProgressView({ startedAt: options.startedAt, intervalMs: options.interactive ? PROGRESS_INTERVAL_MS.interactive : PROGRESS_INTERVAL_MS.plain });
  const showDue = () => {
    const line = view.due(Date.now());
    if (line !== undefined) options.show(line);
  };
  handle.setProgressListener((update) => {
    view.update(update);
    if (options.interactive) showDue();
  });
  const timer = setInterval(showDue, options.interactive ? PROGRESS_INTERVAL_MS.interactive : 1_000);
  return () => {
    clearInterval(timer);
    handle.setProgressListener(undefined);
  };
}

/**
 * The error a step threw, named after the step ("step 'kernel blob' failed: ..."). What the error
 * is stays as it was: a UserError stays one with its hint (exit 1), a bug stays a bug with its
 * stack (exit 70), an interruption is passed on as it is (exit 130).
 */
export function inStep(step: Pick<Step, 'title'>, phase: 'failed' | 'cannot run', error: unknown): unknown {
  if (error instanceof InterruptedError) return error;
  const prefix = `step '${step.title}' ${phase}: `;
  if (error instanceof UserError) return new UserError(`${prefix}${error.message}`, { hint: error.hint, cause: error });
  const bug = new Error(`${prefix}${error instanceof Error ? error.message : String(error)}`, { cause: error });
  bug.stack = `${prefix}${error instanceof Error ? error.stack : String(error)}`;
  return bug;
}
