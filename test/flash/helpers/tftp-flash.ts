/**
 * A guard for the TFTP flashing tests that need root: in.tftpd chroots to what it serves, and
 * U-Boot asks port 69.
 */
import type { ExecutionContext } from 'ava';
import { testAsRootWithTools as testAsRoot } from '../../helpers/tools.js';

/** testWithTools, and root: skipped with the reason locally, failed under CI=true. */
export function testAsRootWithTools(tools: Record<string, string>, title: string, implementation: (t: ExecutionContext) => Promise<void> | void): void {
  testAsRoot({ tools, why: 'in.tftpd chroots to what it serves' }, title, implementation);
}
