/**
 * A step of a build (go-debos' actions, mkosi's build_image()): an id and title, the pure
 * description `plan` prints (commands, files written, cache key), an optional side-effect-free
 * verify, and run. Cleanup is registered inside run with ctx.defer and runs last-in-first-out.
 */
import type { BuildContext } from './context.js';

export interface StepCommand {
  argv: string[];
  /** Data fed to the command's stdin, shown in the plan. */
  stdin?: string;
}

/** What a step will do: the part `plan` prints and `--json` serialises. */
export interface StepDescription {
  id: string;
  title: string;
  commands: StepCommand[];
  writes: string[];
  /** The stage cache key, for steps whose output is cached. */
  cacheKey?: string;
  /** True when the cached output exists and the step will reuse it. */
  cached?: boolean;
  notes: string[];
}

export interface Step extends StepDescription {
  /** Checks that the step can run; no side effects. Every step is verified before any runs. */
  verify?(ctx: BuildContext): Promise<void>;
  run(ctx: BuildContext): Promise<void>;
}
