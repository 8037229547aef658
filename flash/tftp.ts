/**
 * `flash tftp`: the A/B flash of a board from its U-Boot prompt, for a router whose installed
 * system cannot flash itself (stock firmware, a broken slot). A TFTP server on this host serves
 * the image; the console driver stops the autoboot and types the commands of tftp-commands.ts:
 *
 *   read the environment and check it against the board → tftpboot → write the inactive slot,
 *   reset the boot counter → restore what loading changed → switch slot and read window, save →
 *   reset → watch U-Boot verify the new slot's image and start the kernel
 *
 * Nothing is written before the environment matches the board, and the slot switch is saved
 * last, so a failure on the way leaves the old slot booting.
 */
import { chmod, copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Board, UBootNetwork } from '../board/board.js';
import { UserError } from '../build/core/errors.js';
import type { Logger } from '../build/core/log.js';
import {
  bootCounterImage, loadCommands, prepareCommands, restoreCommands, switchCommands, TFTP_BLOCK_SIZE, TFTP_FILES, writeCommands, type ConsoleCommand,
} from './tftp-commands.js';
import { parsePrintenv, planFlash, type TftpFlashPlan } from './tftp-plan.js';
import { startTftpServer, type TftpServer } from './tftp-server.js';
import { openConsoleStream, parseConsoleAddress } from './console-stream.js';
import { UBootConsole } from './uboot-console.js';

export interface TftpFlashOptions {
  board: Board;
  image: { path: string; bytes: number; name: string };
  /** `/dev/ttyUSB0`, `unix:PATH` or `tcp:HOST:PORT`. */
  console: string;
  slot?: 1 | 2;
  network: UBootNetwork;
  /** Where the TFTP server listens (U-Boot's serverip must reach it). */
  listen: string;
  /** Only for tests: U-Boot itself always asks port 69. */
  port?: number;
  /** The console transcript. */
  transcript: string;
  /** How long to wait for the autoboot countdown (the router is powered on meanwhile). */
  autobootTimeoutMs: number;
  logger: Logger;
}

export interface TftpFlashResult {
  plan: TftpFlashPlan;
  /** The tftpboot of the image. */
  load: { seconds: number; bytesPerSecond: number };
  /** The image name U-Boot printed when it booted the slot. */
  bootedImage?: string;
  seconds: number;
}

const SECOND = 1000;
/** From reset to "Starting kernel": U-Boot's init, its autoboot delay, reading the window. */
const BOOT_TIMEOUT_MS = 120 * SECOND;
const BOOT_FAILURES = [/Bad Data CRC/, /Bad Magic Number/, /Bad Header Checksum/, /can't get kernel image/, /Wrong Image Format/];

export async function flashOverTftp(options: TftpFlashOptions): Promise<TftpFlashResult> {
  const started = performance.now();
  // opened first, so a bad --log fails before anything starts
  const transcript = (await open(options.transcript, 'w')).createWriteStream();
  const directory = await mkdtemp(join(tmpdir(), 'mcdebian-tftp-'));
  let uboot: UBootConsole | undefined;
  let server: TftpServer | undefined;
  try {
    await serveFiles(options.board, directory, options.image.path);
    server = await startTftpServer({ directory, address: options.listen, port: options.port, blockSize: TFTP_BLOCK_SIZE, probeFile: TFTP_FILES.image });
    options.logger.info(`tftp: in.tftpd serves ${TFTP_FILES.image} (${options.image.bytes} bytes) on ${server.address}:${server.port}`);
    const stream = await openConsoleStream(parseConsoleAddress(options.console), { baud: options.board.console.baud });
    uboot = new UBootConsole(stream, { prompt: options.board.ubootConsole!.prompt, transcript, transcriptPath: options.transcript });
    options.logger.info(`console: ${options.console} open (transcript ${options.transcript}); power the board on (or cycle its power) now`);
    await uboot.stopAutoboot(options.autobootTimeoutMs);
    options.logger.info('console: autoboot stopped at U-Boot\'s prompt');
    const { plan, load } = await flashFromPrompt(uboot, options);
    const bootedImage = await watchBoot(uboot, plan, options);
    return { plan, load, bootedImage, seconds: round((performance.now() - started) / SECOND) };
  } finally {
    uboot?.close();
    await server?.stop();
    await new Promise((done) => transcript.end(done));
    await rm(directory, { recursive: true, force: true });
  }
}

/** Inspect, load, write, restore, switch and save: everything up to the reset. */
async function flashFromPrompt(uboot: UBootConsole, options: TftpFlashOptions): Promise<Pick<TftpFlashResult, 'plan' | 'load'>> {
  const { board, logger } = options;
  await runAll(uboot, prepareCommands(board));
  const before = parsePrintenv(await uboot.run('printenv', { timeoutMs: 10 * SECOND, check: false }));
  const plan = planFlash(board, before, { imageBytes: options.image.bytes, slot: options.slot, network: options.network });
  const slotName = board.kernelSlots!.find((slot) => slot.slot === plan.slot)!.partition;
  logger.info(`inspect: boot_part is ${plan.activeSlot ?? 'unset'}; writing slot ${plan.slot} (${slotName})`);

  const loadStarted = performance.now();
  await runAll(uboot, loadCommands(board, plan));
  const seconds = (performance.now() - loadStarted) / SECOND;
  const load = { seconds: round(seconds), bytesPerSecond: Math.round(options.image.bytes / seconds) };
  logger.info(`load: ${options.image.bytes} bytes in ${load.seconds} s (${(load.bytesPerSecond / 1e6).toFixed(1)} MB/s)`);

  await runAll(uboot, writeCommands(board, plan));
  logger.info(`write: ${slotName} written, boot counter reset`);
  const after = parsePrintenv(await uboot.run('printenv', { timeoutMs: 10 * SECOND, check: false }));
  await runAll(uboot, [...restoreCommands(before, after), ...switchCommands(board, plan)]);
  logger.info(`environment: slot ${plan.slot} boots next, read window ${hex(plan.readSize)}; saved`);
  return { plan, load };
}

/**
 * Resets and waits for U-Boot to read the slot's window, verify the image's CRCs and start it.
 * The image name it prints must be ours: another one means the other slot booted.
 */
async function watchBoot(uboot: UBootConsole, plan: TftpFlashPlan, options: TftpFlashOptions): Promise<string | undefined> {
  await uboot.send('reset');
  const boot = await uboot.expect(/Starting kernel[^\n]*\n/, BOOT_FAILURES, BOOT_TIMEOUT_MS, 'kernel start after the reset');
  const bootedImage = [...boot.matchAll(/Image Name:\s+(.*?)\r?\n/g)].at(-1)?.[1];
  if (bootedImage !== undefined && bootedImage !== options.image.name) {
    throw new UserError(`after the reset U-Boot booted "${bootedImage}", not the flashed "${options.image.name}": slot ${plan.slot} was not chosen`, {
      hint: `the whole console session is in ${options.transcript}`,
    });
  }
  options.logger.info(`boot: U-Boot verified ${bootedImage === undefined ? 'the image' : `"${bootedImage}"`} and started the kernel`);
  return bootedImage;
}

async function runAll(uboot: UBootConsole, commands: readonly ConsoleCommand[]): Promise<void> {
  for (const command of commands) await uboot.run(command.command, { timeoutMs: command.timeoutMs, expect: command.expect });
}

/** The image and the boot counter page, readable by tftpd's user `nobody` after its chroot. */
async function serveFiles(board: Board, directory: string, image: string): Promise<void> {
  await chmod(directory, 0o755);
  await copyFile(image, join(directory, TFTP_FILES.image));
  await writeFile(join(directory, TFTP_FILES.bootCounter), bootCounterImage(board));
  await chmod(join(directory, TFTP_FILES.image), 0o644);
  await chmod(join(directory, TFTP_FILES.bootCounter), 0o644);
}

const round = (n: number): number => Math.round(n * 10) / 10;
const hex = (n: number): string => `0x${n.toString(16)}`;
