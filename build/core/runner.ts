/**
 * Runs a build's steps: every step is verified before any runs, then each runs in order under
 * listr2 (drawn on a terminal, plain lines elsewhere) with its duration; the cleanups the steps
 * registered run last-in-first-out even on failure, and a cleanup failure never hides the
 * original error.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { ContextHandle } from './context.js';
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
    for (const step of steps) await step.verify?.(context);
    const tasks = new Listr(
      steps.map((step) => ({
        title: step.cached ? `${step.title} (cached)` : step.title,
        task: async (_: unknown, task: { title: string }) => {
          const started = Date.now();
          context.log(`## ${step.id}: ${step.title}`);
          await step.run(context);
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
