/**
 * `mcdebian boot --board qemu-armhf|x86-64 [-c FILE] [--ssh-port N]`: boots the built image
 * under QEMU with the console on this terminal; exits with the guest. The guest's SSH server is
 * forwarded to 127.0.0.1:<ssh-port>. Reads out/<board>/; writes a temporary directory, and the
 * flash stand-in file when --flash-disk names one (kept, so flashed slots survive a restart).
 */
import { access, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { Board } from '../../board/board.js';
import { armBootArgs, overlayArgs, OVMF_VARS, parseForward, type PortForward, x86BootArgs } from '../boot.js';
import { createStandInDisk } from '../stand-in-disk.js';
import { loadConfig } from '../config/load.js';
import { UserError } from '../core/errors.js';
import { runCommand } from '../core/exec.js';
import { commonFlags, integerFlag, listFlag, stringFlag, UsageError, type Command, type CommandContext, type ExitCode } from '../core/command.js';

export interface BootOptions {
  board?: string;
  config?: string;
  sshPort: number;
  /** More guest ports forwarded to the host's loopback (the overlays' services). */
  forwards?: PortForward[];
  /** qemu-armhf: keep the flash stand-in in this file, made from the build when it does not exist. */
  flashDisk?: string;
  /** QEMU's monitor on this unix socket (`system_reset` power-cycles the guest). */
  monitor?: string;
  /** The console on this unix socket instead of the terminal (mcdebian flash tftp --serial unix:PATH). */
  serialSocket?: string;
}

/** The artifacts each bootable board needs. */
function neededArtifacts(board: Board): string[] {
  if (board.bootMethod === 'qemu-uimage') return ['kernel.uimg', 'usb.img'];
  if (board.bootMethod === 'uefi') return ['disk.img'];
  throw new UserError(`${board.id} is real hardware; mcdebian boot runs qemu-armhf and x86-64`, { hint: 'flash it instead (mcdebian flash), or boot qemu-armhf, its stand-in' });
}

export async function runBoot(context: CommandContext, options: BootOptions): Promise<ExitCode> {
  const config = await loadConfig({ file: options.config, board: options.board, cwd: context.cwd });
  const board = config.board;
  const out = join(config.dir, config.output, board.id);
  for (const name of neededArtifacts(board)) {
    await access(join(out, name)).catch(() => {
      throw new UserError(`no ${name} in ${out}`, { hint: `build it first: mcdebian build --board ${board.id}${options.config ? ` -c ${options.config}` : ''}` });
    });
  }
  const temp = await mkdtemp(join(tmpdir(), 'mcdebian-boot-'));
  try {
    const forwards = options.forwards ?? [];
    const argv = board.bootMethod === 'uefi' ? await prepareX86(out, temp, options.sshPort, forwards) : await prepareArm(board, out, temp, options);
    if (options.monitor && board.bootMethod === 'uefi') argv.push('-monitor', `unix:${options.monitor},server=on,wait=off`);
    if (options.serialSocket && board.bootMethod === 'uefi') argv.push('-serial', `unix:${options.serialSocket},server=on,wait=off`);
    const extra = forwards.map((f) => `, ${f.protocol} ${f.guestPort} to 127.0.0.1:${f.hostPort}`).join('');
    // with the console on a socket, -nographic gives this terminal QEMU's monitor (unless --monitor moved it)
    const quit = options.serialSocket
      ? `the console is on unix:${options.serialSocket}; ${options.monitor ? 'quit with "quit" on the monitor socket' : 'this terminal is QEMU\'s monitor, quit with "quit"'}`
      : 'quit with Ctrl-A X';
    context.logger.info(`booting ${board.id} under QEMU (TCG); SSH is forwarded to 127.0.0.1:${options.sshPort}${extra}; ${quit}`);
    context.logger.debug(argv.join(' '));
    const [file, ...args] = argv;
    const result = await execa(file!, args, { stdio: 'inherit', reject: false });
    if ((result as { code?: string }).code === 'ENOENT') throw new UserError(`${file} not found`, { hint: 'mcdebian doctor --board ' + board.id });
    return result.exitCode ?? 1;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function prepareArm(board: Board, out: string, temp: string, options: BootOptions): Promise<string[]> {
  const flashDisk = options.flashDisk ? resolve(options.flashDisk) : join(temp, 'flash.img');
  const exists = await access(flashDisk).then(() => true, () => false);
  if (!exists) await createStandInDisk(board, { disk: flashDisk, kernel: join(out, 'kernel.uimg'), work: temp });
  const overlay = join(temp, 'usb.qcow2');
  await runCommand(overlayArgs(join(out, 'usb.img'), overlay), { debianPackage: 'qemu-utils' });
  return armBootArgs({ overlay, flashDisk, sshPort: options.sshPort, forwards: options.forwards, monitor: options.monitor, serialSocket: options.serialSocket });
}

async function prepareX86(out: string, temp: string, sshPort: number, forwards: PortForward[]): Promise<string[]> {
  const overlay = join(temp, 'disk.qcow2');
  await runCommand(overlayArgs(join(out, 'disk.img'), overlay), { debianPackage: 'qemu-utils' });
  const vars = join(temp, 'OVMF_VARS.fd');
  await copyFile(OVMF_VARS, vars).catch(() => {
    throw new UserError(`${OVMF_VARS} not found`, { hint: 'apt-get install ovmf' });
  });
  return x86BootArgs({ overlay, vars, sshPort, forwards });
}

export const bootCommand: Command = {
  summary: 'boot the built image under QEMU, console attached (qemu-armhf, x86-64)',
  usage: 'mcdebian boot --board qemu-armhf|x86-64 [-c FILE] [--ssh-port N] [--forward tcp|udp:HOSTPORT:GUESTPORT ...] [--flash-disk FILE] [--monitor SOCKET] [--serial-socket SOCKET]',
  flags: {
    board: commonFlags.board,
    config: commonFlags.config,
    'ssh-port': { type: 'string', value: 'N', description: 'the host port on 127.0.0.1 that leads to the guest\'s SSH server (default 2222)' },
    forward: { type: 'string', multiple: true, value: 'tcp|udp:HOSTPORT:GUESTPORT', description: 'forward one more guest port to 127.0.0.1 (repeatable)' },
    'flash-disk': { type: 'string', value: 'FILE', description: 'qemu-armhf: keep the flash stand-in in FILE, so flashed slots survive a restart' },
    monitor: { type: 'string', value: 'SOCKET', description: 'QEMU\'s monitor on this unix socket (system_reset is a power cycle)' },
    'serial-socket': { type: 'string', value: 'SOCKET', description: 'the console on this unix socket instead of the terminal (for flash tftp)' },
  },
  run: (context, values) => {
    if (values.board === undefined && values.config === undefined) throw new UsageError('boot needs --board ID or -c FILE');
    const forwards = listFlag(values, 'forward').map((text) => {
      const forward = parseForward(text);
      if (!forward) throw new UsageError(`--forward must be tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT, not "${text}"`);
      return forward;
    });
    return runBoot(context, {
      board: stringFlag(values, 'board'),
      config: stringFlag(values, 'config'),
      sshPort: integerFlag(values, 'ssh-port', { fallback: 2222, min: 1, max: 65535 }),
      forwards,
      flashDisk: stringFlag(values, 'flash-disk'),
      monitor: stringFlag(values, 'monitor'),
      serialSocket: stringFlag(values, 'serial-socket'),
    });
  },
};
