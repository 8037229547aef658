/**
 * A guard for the TFTP flashing tests that need root: in.tftpd chroots to what it serves, and
 * U-Boot asks port 69.
 */
import test, { type ExecutionContext } from 'ava';
import { testWithTools } from './tools.js';

/** testWithTools, and root: skipped with the reason locally, failed under CI=true. */
export function testAsRootWithTools(tools: Record<string, string>, title: string, implementation: (t: ExecutionContext) => Promise<void> | void): void {
  if (process.getuid?.() === 0) return testWithTools(tools, title, implementation);
  if (process.env.CI === 'true') test(title, (t) => t.fail('CI=true and the test needs root: in.tftpd chroots to what it serves'));
  else test.skip(`${title} [needs root: in.tftpd chroots to what it serves]`, implementation);
}
