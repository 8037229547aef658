/**
 * `mcdebian flash tftp (--board ID | -c FILE) --serial DEV|unix:PATH|tcp:HOST:PORT [--image PATH]
 * [--slot 1|2] [--ipaddr A] [--serverip B] [--listen ADDR[:PORT]] [--log FILE] [--dry-run] [--json]`:
 * writes the kernel blob to a slot from U-Boot's console, served over TFTP (flash/tftp.ts).
 * Reads out/<board>/kernel.uimg (or --image); writes the console transcript to
 * out/<board>/flash-tftp.log (or --log).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Board } from '../../board/board.js';
import { flashPartition } from '../../board/flash.js';
import { loadConfig } from '../config/load.js';
import { missingBuildHint } from './flash-build-hint.js';
import { UserError } from '../core/errors.js';
import { readSizeFor } from '../../flash/preflight.js';
import { flashOverTftp } from '../../flash/tftp.js';
import { loadCommands, prepareCommands, switchCommands, writeCommands, type ConsoleCommand } from '../../flash/tftp-commands.js';
import type { TftpFlashPlan } from '../../flash/tftp-plan.js';
import { checkUImage, type UImageHeader } from '../../flash/uimage-header.js';
import { commonFlags, stringFlag, UsageError, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';

export interface FlashTftpOptions {
  board?: string;
  config?: string;
  /** Required unless dryRun. */
  serial?: string;
  image?: string;
  slot?: 1 | 2;
  ipaddr?: string;
  serverip?: string;
  /** ADDR or ADDR:PORT; the server's address (serverip) by default. */
  listen?: string;
  log?: string;
  dryRun: boolean;
  json: boolean;
}

/** From power-on to the countdown, with time to reach the power switch. */
const AUTOBOOT_TIMEOUT_MS = 120_000;

export async function runFlashTftp(context: CommandContext, options: FlashTftpOptions): Promise<ExitCode> {
  const config = await loadConfig({ file: options.config, board: options.board, cwd: context.cwd });
  const board = config.board;
  if (!board.ubootConsole) {
    throw new UserError(`${board.id} has no U-Boot console to flash from`, { hint: 'flash tftp writes a router\'s kernel slot (or qemu-armhf\'s stand-in); flash usb writes a stick' });
  }
  const out = join(config.dir, config.output, board.id);
  const imagePath = options.image ? resolve(context.cwd, options.image) : join(out, 'kernel.uimg');
  const { header, bytes } = await readImage(board, imagePath, options.image === undefined ? { cwd: context.cwd, config: options.config } : undefined);
  const network = { ...board.ubootConsole.network, ...defined({ ipaddr: options.ipaddr, serverip: options.serverip }) };
  if (options.dryRun) return printDryRun(context, board, { imagePath, bytes, slot: options.slot, network, json: options.json });
  if (options.serial === undefined) throw new UserError('flash tftp needs --serial DEV (or unix:PATH, tcp:HOST:PORT) unless --dry-run');

  const [listen, port] = parseListen(options.listen ?? network.serverip);
  const transcript = options.log ? resolve(context.cwd, options.log) : join(out, 'flash-tftp.log');
  await mkdir(dirname(transcript), { recursive: true });
  const result = await flashOverTftp({
    board, image: { path: imagePath, bytes, name: header.name }, console: options.serial, slot: options.slot, network,
    listen, port, transcript, autobootTimeoutMs: AUTOBOOT_TIMEOUT_MS, logger: context.logger,
  });
  const { plan } = result;
  if (options.json) {
    writeJson(context, {
      board: board.id, console: options.serial, image: imagePath, bytes, imageName: header.name, slot: plan.slot, previousSlot: plan.activeSlot ?? null,
      readSize: plan.readSize, load: result.load, bootedImage: result.bootedImage ?? null, seconds: result.seconds, transcript,
    });
  } else {
    context.stdout.write(
      `slot ${plan.slot} of ${board.id} flashed over TFTP: ${bytes} bytes loaded in ${result.load.seconds} s ` +
      `(${(result.load.bytesPerSecond / 1e6).toFixed(1)} MB/s); U-Boot verified it and started the kernel; ${result.seconds} s in all. Transcript: ${transcript}\n`,
    );
  }
  return 0;
}

/**
 * The image's uImage CRCs, and whether it fits the smaller kernel slot (before anything
 * connects). `built`: where the build was looked for, when the path is the build's.
 */
async function readImage(board: Board, path: string, built: { cwd: string; config?: string } | undefined): Promise<{ header: UImageHeader; bytes: number }> {
  const data = await readFile(path).catch(() => undefined);
  if (data === undefined) {
    throw new UserError(`no kernel image at ${path}`, { hint: built ? await missingBuildHint({ ...built, boardId: board.id, artifact: 'kernel.uimg' }) : 'check --image' });
  }
  const header = checkUImage(data, path);
  const slotBytes = Math.min(...board.kernelSlots!.map((slot) => flashPartition(board, slot.partition)!.size));
  if (data.length > slotBytes) {
    throw new UserError(`${path} is ${data.length} bytes, larger than ${board.id}'s ${slotBytes}-byte kernel slot`, { hint: 'trim the initramfs (fewer rootModules) or the kernel' });
  }
  return { header, bytes: data.length };
}

/** `ADDR` or `ADDR:PORT`. */
function parseListen(text: string): [string, number | undefined] {
  const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) throw new UserError(`--listen ${text}: expected an IPv4 address, optionally with :PORT`);
  return [match[1]!, match[2] === undefined ? undefined : Number(match[2])];
}

function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Every console command in order; the environment reads and restores are described where they happen. */
function printDryRun(
  context: CommandContext, board: Board,
  options: { imagePath: string; bytes: number; slot?: 1 | 2; network: TftpFlashPlan['network']; json: boolean },
): ExitCode {
  const plan: TftpFlashPlan = { slot: options.slot ?? 2, imageBytes: options.bytes, readSize: readSizeFor(options.bytes, undefined), network: options.network };
  const step = ({ phase, command }: ConsoleCommand, note?: string) => ({ phase, command, ...(note ? { note } : {}) });
  const steps = [
    ...prepareCommands(board).map((c) => step(c)),
    { phase: 'prepare', command: 'printenv', note: `checked against ${board.id}; its ${board.ubootEnv!.variables.bootPart} picks the slot` },
    ...[...loadCommands(board, plan), ...writeCommands(board, plan)].map((c) => step(c)),
    { phase: 'restore', command: 'printenv', note: 'then setenv puts back every variable loading added or changed' },
    ...switchCommands(board, plan).map((c) => step(c)),
    { phase: 'reset', command: 'reset' },
  ];
  const assumption = options.slot === undefined ? 'slot 2 shown, as if boot_part were 1: the real run writes the slot boot_part does not name' : `slot ${plan.slot}`;
  if (options.json) {
    writeJson(context, { board: board.id, image: options.imagePath, bytes: options.bytes, slot: options.slot ?? null, commands: steps });
  } else {
    context.stdout.write(`# ${board.id}: ${options.imagePath} (${options.bytes} bytes); ${assumption}; read window at least 0x${plan.readSize.toString(16)}\n`);
    for (const { command, note } of steps) context.stdout.write(`${command}${note ? `    # ${note}` : ''}\n`);
  }
  return 0;
}

export const flashTftpCommand: Command = {
  summary: 'flash a router\'s kernel slot from U-Boot\'s console over a serial line, serving the image over TFTP',
  usage: [
    'mcdebian flash tftp (-c FILE | --board ID) --serial DEV|unix:PATH|tcp:HOST:PORT [--image PATH] [--slot 1|2]',
    '                           [--ipaddr A] [--serverip B] [--listen ADDR[:PORT]] [--log FILE] [--dry-run] [--json]',
  ].join('\n'),
  flags: {
    board: commonFlags.board,
    config: commonFlags.config,
    serial: { type: 'string', value: 'DEV|unix:PATH|tcp:HOST:PORT', description: 'the console: a serial device (e.g. /dev/ttyUSB0) or a socket' },
    image: { type: 'string', value: 'PATH', description: 'flash this kernel.uimg instead of the build\'s' },
    slot: { type: 'string', value: '1|2', description: 'the slot to write (default: the inactive one)' },
    ipaddr: { type: 'string', value: 'A', description: 'U-Boot\'s own address on the LAN' },
    serverip: { type: 'string', value: 'B', description: 'this machine\'s address as U-Boot reaches it' },
    listen: { type: 'string', value: 'ADDR[:PORT]', description: 'where the TFTP server listens (default serverip, port 69)' },
    log: { type: 'string', value: 'FILE', description: 'the console transcript (default out/<board>/flash-tftp.log)' },
    'dry-run': { type: 'boolean', description: 'print the U-Boot commands; touch nothing' },
    json: commonFlags.json,
  },
  run: (context, values) => {
    if (values.board === undefined && values.config === undefined) throw new UsageError('flash tftp needs --board ID or -c FILE: the board decides the U-Boot commands');
    const dryRun = values['dry-run'] === true;
    const serial = stringFlag(values, 'serial');
    if (serial === undefined && !dryRun) throw new UsageError('flash tftp needs --serial DEV, unix:PATH or tcp:HOST:PORT', 'the USB serial adapter on the router\'s console header, e.g. --serial /dev/ttyUSB0');
    const slot = stringFlag(values, 'slot');
    if (slot !== undefined && slot !== '1' && slot !== '2') throw new UsageError(`--slot must be 1 or 2, not "${slot}"`);
    return runFlashTftp(context, {
      board: stringFlag(values, 'board'),
      config: stringFlag(values, 'config'),
      serial,
      image: stringFlag(values, 'image'),
      slot: slot === undefined ? undefined : (Number(slot) as 1 | 2),
      ipaddr: stringFlag(values, 'ipaddr'),
      serverip: stringFlag(values, 'serverip'),
      listen: stringFlag(values, 'listen'),
      log: stringFlag(values, 'log'),
      dryRun,
      json: values.json === true,
    });
  },
};
