/**
 * Tiny fake executables on PATH that stand in for host tools in unit tests (execa's
 * test/fixtures approach): each prints what it is told and records its argv.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FakeProgram {
  /** What it prints on stdout. */
  stdout?: string;
  exitCode?: number;
}

/** Writes the fake programs into `<dir>/bin` and returns that directory. */
export async function makeFakeBin(dir: string, programs: Record<string, FakeProgram>): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const [name, program] of Object.entries(programs)) {
    const file = join(bin, name);
    const script = [
      '#!/bin/sh',
      `printf '%s\\n' "$0 $*" >> '${join(dir, 'argv.log')}'`,
      `printf '%s' '${(program.stdout ?? '').replaceAll("'", `'\\''`)}'`,
      `exit ${program.exitCode ?? 0}`,
      '',
    ].join('\n');
    await writeFile(file, script);
    await chmod(file, 0o755);
  }
  return bin;
}
