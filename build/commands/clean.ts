/** `mcdebian clean`: empties the stage cache (bases, layers, work directories). */
import { rm } from 'node:fs/promises';
import { formatSize } from '../config/size.js';
import { cacheRoot } from '../core/paths.js';
import { runCommand } from '../core/exec.js';
import type { Command, CommandContext, ExitCode } from '../core/command.js';

export async function runClean(context: CommandContext): Promise<ExitCode> {
  const root = cacheRoot(context.env);
  const { stdout } = await runCommand(['du', '-sb', root], { acceptExitCodes: [1] }).catch(() => ({ stdout: '0' }));
  const bytes = Number(stdout.split(/\s/)[0]) || 0;
  await rm(root, { recursive: true, force: true });
  context.stdout.write(`Removed ${root} (${formatSize(bytes)})\n`);
  return 0;
}

export const cleanCommand: Command = {
  summary: 'empty the stage cache',
  usage: 'mcdebian clean',
  flags: {},
  run: (context) => runClean(context),
};
