/**
 * `mcdebian boot` attached: QEMU with the console on this terminal (or a socket), exiting with
 * the guest. Its disks go to a temporary directory, removed afterwards; a --flash-disk file is
 * kept, so flashed slots survive a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { PortForward } from '../boot.js';
import { UserError } from '../core/errors.js';
import type { CommandContext, ExitCode } from '../core/command.js';
import { guestArgs, prepareGuestDisks } from '../guest-disks.js';
import { describeLink } from '../guest-link.js';
import { describeConsole, type ConsoleOptions } from '../qemu-console.js';
import { prepareBootTarget, type BootOptions } from './boot-setup.js';

/** "SSH is forwarded to 127.0.0.1:2222, tcp 8053 to 127.0.0.1:18053". */
export function describePorts(sshPort: number, forwards: readonly PortForward[]): string {
  return `SSH is forwarded to 127.0.0.1:${sshPort}${forwards.map((f) => `, ${f.protocol} ${f.guestPort} to 127.0.0.1:${f.hostPort}`).join('')}`;
}

export async function runBoot(context: CommandContext, options: BootOptions): Promise<ExitCode> {
  const { board, out } = await prepareBootTarget(context, options);
  const temp = await mkdtemp(join(tmpdir(), 'mcdebian-boot-'));
  try {
    const disks = await prepareGuestDisks(board, { out, dir: temp, flashDisk: options.flashDisk });
    const console: ConsoleOptions = { mode: 'terminal', monitor: options.monitor, serialSocket: options.serialSocket };
    const argv = guestArgs(disks, { sshPort: options.sshPort, forwards: options.forwards, links: options.links, console });
    context.logger.info(`booting ${board.id} under QEMU (TCG); ${[describePorts(options.sshPort, options.forwards), ...options.links.map(describeLink), describeConsole(console)].join('; ')}`);
    context.logger.debug(argv.join(' '));
    const [file, ...args] = argv;
    const result = await execa(file!, args, { stdio: 'inherit', reject: false });
    if ((result as { code?: string }).code === 'ENOENT') throw new UserError(`${file} not found`, { hint: `mcdebian doctor --board ${board.id}` });
    return result.exitCode ?? 1;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
