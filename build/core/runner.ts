/**
 * Runs a build's steps: every step is verified before any runs, then each runs in order under
 * listr2 (drawn on a terminal, plain lines elsewhere) with its duration; the cleanups the steps
 * registered run last-in-first-out even on failure, and a cleanup failure never hides the
 * original error.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { ContextHandle } from './context.js';
import { InterruptedError, UserError } from './errors.js';
import type { Step } from './step.js';

export interface RunStepsOptions {
  /** Draw with listr2's default renderer (a terminal) or print plain lines (CI, pipes). */
  interactive: boolean;
}

export interface StepTiming {
  id: string;
  seconds: number;
  cached: boolean;
}

const progressLogger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });

/** Verifies all steps, runs them, cleans up; returns each step's duration. */
export async function runSteps(steps: readonly Step[], handle: ContextHandle, options: RunStepsOptions): Promise<StepTiming[]> {
  const { context } = handle;
  const timings: StepTiming[] = [];
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
        task: async (_: unknown, task: { title: string }) => {
          const started = Date.now();
          context.log(`## ${step.id}: ${step.title}`);
          try {
            await step.run(context);
          } catch (error) {
            throw inStep(step, 'failed', error);
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
        // progress goes to stderr: stdout is for data (build --json)
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
