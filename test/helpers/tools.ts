/**
 * Tests that need host tools, or root. A missing tool (or root) skips the test with its reason
 * locally, and fails it when CI=true: CI must install everything it tests with, and runs as root.
 */
import test, { type ExecutionContext } from 'ava';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const inCi = process.env.CI === 'true';

/** Whether a program is on PATH; synchronous because ava needs tests declared synchronously. */
export function hasProgram(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Tools missing from PATH, each as "name (Debian package)". */
function missingTools(tools: Record<string, string>): string[] {
  return Object.entries(tools).filter(([name]) => !hasProgram(name)).map(([name, pkg]) => `${name} (Debian package ${pkg})`);
}

/** Registers a test that needs `tools` ({ program: debianPackage }). */
export function testWithTools(
  tools: Record<string, string>,
  title: string,
  implementation: (t: ExecutionContext) => Promise<void> | void,
): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    test(title, implementation);
  } else if (inCi) {
    test(title, (t) => t.fail(`CI=true and required tools are missing: ${missing.join(', ')}`));
  } else {
    const register = test.skip;
    register(`${title} [needs ${missing.join(', ')}]`, implementation);
  }
}

/** testWithTools, and root (the reason is `why`): skipped with the reason locally, failed under CI=true. */
export function testAsRootWithTools(
  options: { tools: Record<string, string>; why: string },
  title: string,
  implementation: (t: ExecutionContext) => Promise<void> | void,
): void {
  if (process.getuid?.() === 0) return testWithTools(options.tools, title, implementation);
  if (inCi) test(title, (t) => t.fail(`CI=true and the test needs root: ${options.why}`));
  else test.skip(`${title} [needs root: ${options.why}]`, implementation);
}
