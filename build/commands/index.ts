/**
 * The command table: McDebian's own commands, then each overlay's (`mcdebian dns-blacklist ...`),
 * registered through the Overlay interface. build/cli.ts parses argv against it.
 */
import { overlays } from '../../overlays/index.js';
import type { CommandEntry, CommandGroup } from '../core/command.js';
import { boardsCommand } from './boards.js';
import { bootCommand } from './boot.js';
import { buildCommand } from './build.js';
import { cleanCommand } from './clean.js';
import { doctorCommand } from './doctor.js';
import { flashSftpCommand } from './flash-sftp.js';
import { flashTftpCommand } from './flash-tftp.js';
import { flashUsbCommand } from './flash-usb.js';
import { commandHost } from './overlay-command-host.js';
import { logsCommand } from './logs.js';
import { overlaysCommand } from './overlays.js';
import { planCommand } from './plan.js';
import { renderCommand } from './render.js';
import { statusCommand } from './status.js';

/** Each transport takes only its own flags: `flash usb --serial X` is a usage error. */
const flashCommands: CommandGroup = {
  summary: 'flash usb|sftp|tftp: write a USB stick, or a router\'s inactive kernel slot over SSH or from U-Boot\'s console and TFTP',
  expected: 'the transport: usb, sftp or tftp',
  subcommands: { usb: flashUsbCommand, sftp: flashSftpCommand, tftp: flashTftpCommand },
};

const overlayCommands = Object.fromEntries(overlays.flatMap(({ name, cli }) => {
  if (cli === undefined) return [];
  return [[name, typeof cli === 'function' ? cli(commandHost) : cli] as const];
}));

export const commands: Record<string, CommandEntry> = {
  boards: boardsCommand,
  overlays: overlaysCommand,
  plan: planCommand,
  build: buildCommand,
  render: renderCommand,
  boot: bootCommand,
  clean: cleanCommand,
  flash: flashCommands,
  status: statusCommand,
  logs: logsCommand,
  doctor: doctorCommand,
  ...overlayCommands,
};
