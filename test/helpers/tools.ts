/**
 * The one place a test may be skipped: tests that need host tools, root, or something else the
 * machine may lack (a reachable mirror). Locally a missing need skips the test with the reason
 * in its title; under CI=true it fails the test with the reason, since CI installs everything it
 * tests with and runs as root.
 */
import test, { type ExecutionContext } from 'ava';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const inCi = process.env.CI === 'true';

/** Whether a program is on PATH; synchronous because ava needs tests declared synchronously. */
export function hasProgram(name: string): boolean {
  if (name.startsWith('/')) return existsSync(name);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What a test needs beyond Node. */
export interface Needs {
  /** Programs, by name on PATH or by absolute path, each with the Debian package that has it. */
  tools?: Record<string, string>;
  /** Why it needs root, when it does. */
  root?: string;
  /** Anything else it lacks here, as the reason (undefined when nothing is lacking). */
  unavailable?: string;
}

type Implementation<Context> = (t: ExecutionContext<Context>) => Promise<void> | void;

/** Declares a test: `(title, implementation) => void`, like ava's `test` or `test.serial`. */
export type DeclareTest<Context = unknown> = (title: string, implementation: Implementation<Context>) => void;

/** Every need that is not met here, described. */
export function unmetNeeds(needs: Needs): string[] {
  const missing = Object.entries(needs.tools ?? {}).filter(([name]) => !hasProgram(name)).map(([name, pkg]) => `${name} (Debian package ${pkg})`);
  if (needs.root !== undefined && process.getuid?.() !== 0) missing.push(`root: ${needs.root}`);
  if (needs.unavailable !== undefined) missing.push(needs.unavailable);
  return missing;
}

/**
 * The function to declare tests with that have these needs: ava's own when all are met; under
 * CI=true one that fails with what is missing; locally one that skips with it in the title.
 */
export function testNeeding<Context = unknown>(needs: Needs, options: { serial?: boolean } = {}): DeclareTest<Context> {
  const missing = unmetNeeds(needs);
  const declare = (options.serial ? test.serial : test) as unknown as {
    (title: string, implementation: Implementation<Context>): void;
    skip(title: string, implementation: Implementation<Context>): void;
  };
  if (missing.length === 0) return (title, implementation) => declare(title, implementation);
  if (inCi) return (title) => declare(title, (t) => t.fail(`CI=true and this test lacks: ${missing.join(', ')}`));
  return (title, implementation) => declare.skip(`${title} [needs ${missing.join(', ')}]`, implementation);
}

/** Registers a test that needs `tools` ({ program: debianPackage }). */
export function testWithTools(tools: Record<string, string>, title: string, implementation: (t: ExecutionContext) => Promise<void> | void): void {
  testNeeding({ tools })(title, implementation);
}

/** testWithTools, and root (the reason is `why`). */
export function testAsRootWithTools(options: { tools: Record<string, string>; why: string }, title: string, implementation: (t: ExecutionContext) => Promise<void> | void): void {
  testNeeding({ tools: options.tools, root: options.why })(title, implementation);
}
