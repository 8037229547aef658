/**
 * `mcdebian flash usb --device DEV [-c FILE | --board ID] [--image PATH] [--force] [--json]`:
 * writes the built usb.img (disk.img on x86-64), or --image, to a USB stick and verifies it.
 * Reads out/<board>/ and its manifest.json, /sys and /proc (MCDEBIAN_SYS_ROOT and
 * MCDEBIAN_PROC_ROOT move them, for tests); writes only the device.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { missingBuildHint } from './flash-build-hint.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Manifest } from '../manifest.js';
import { assertWritableDevice } from '../../flash/block-device.js';
import { flashImage, type FlashProgress } from '../../flash/usb.js';
import { commonFlags, stringFlag, UsageError, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';

export interface FlashUsbOptions {
  device: string;
  /** An image to write instead of the built one. */
  image?: string;
  board?: string;
  config?: string;
  /** Allow a regular file and a non-removable disk (never a mounted one). */
  force: boolean;
  json: boolean;
  /** Where progress goes; a TTY gets one updating line. Defaults to process.stderr. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The image to write and, when the build's manifest lists it, its sha256. */
interface ImageSource {
  path: string;
  sha256?: string;
}

export async function runFlashUsb(context: CommandContext, options: FlashUsbOptions): Promise<ExitCode> {
  const source = await resolveImage(context, options);
  const imageSize = (await stat(source.path)).size;
  const facts = await assertWritableDevice(options.device, {
    sysRoot: context.env.MCDEBIAN_SYS_ROOT, procRoot: context.env.MCDEBIAN_PROC_ROOT, imageSize, force: options.force,
  });
  if (facts.kind === 'file') context.logger.warn(`--force: ${options.device} is a regular file, writing into it`);
  else if (!facts.removable) context.logger.warn(`--force: ${options.device} is not removable, writing to it anyway`);
  context.logger.info(`writing ${source.path} (${formatBytes(imageSize)}) to ${options.device}`);
  const started = performance.now();
  const result = await flashImage(source.path, options.device, {
    kind: facts.kind === 'block' ? 'block' : 'file',
    expectedSha256: source.sha256,
    onProgress: createProgressPrinter(context.logger, options.progressStream ?? process.stderr),
    logger: context.logger,
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (options.json) {
    writeJson(context, { device: options.device, image: source.path, bytes: result.bytes, sha256: result.sha256, verified: true, cacheFlushed: result.cacheFlushed, seconds });
  } else {
    context.stdout.write(`${options.device}: ${result.bytes} bytes written and verified in ${seconds} s (sha256 ${result.sha256})\n`);
  }
  return 0;
}

/** --image as given, else out/<board>/usb.img (disk.img for a UEFI board) with the manifest's sha256. */
async function resolveImage(context: CommandContext, options: FlashUsbOptions): Promise<ImageSource> {
  if (options.image !== undefined) {
    const path = resolve(context.cwd, options.image);
    await stat(path).catch(() => {
      throw new UserError(`no image at ${path}`, { hint: 'check --image, or leave it out to write the built image' });
    });
    return { path };
  }
  const config = await loadConfig({ file: options.config, board: options.board, cwd: context.cwd });
  const board = config.board;
  const name = board.bootMethod === 'uefi' ? 'disk.img' : 'usb.img';
  const out = join(config.dir, config.output, board.id);
  if (!(await stat(join(out, name)).then(() => true, () => false))) {
    throw new UserError(`no ${name} in ${out}`, { hint: await missingBuildHint({ cwd: context.cwd, boardId: board.id, artifact: name, config: options.config }) });
  }
  return { path: join(out, name), sha256: await readManifestSha256(out, name) };
}

/** The artifact's sha256 from manifest.json; undefined (so the image is hashed) when there is none. */
async function readManifestSha256(out: string, name: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    return manifest.artifacts.find((artifact) => artifact.name === name)?.sha256;
  } catch {
    return undefined;
  }
}

/**
 * On a terminal one line redrawn at most 5 times a second; elsewhere (CI, a log file) a plain
 * line at most once a second. The end of each phase is always shown.
 */
export function createProgressPrinter(logger: Logger, stream: NodeJS.WritableStream & { isTTY?: boolean }): (progress: FlashProgress) => void {
  const interval = stream.isTTY ? 200 : 1000;
  let last = -Infinity;
  return (progress) => {
    const done = progress.bytes === progress.total;
    const now = performance.now();
    if (!done && now - last < interval) return;
    last = now;
    const line = formatProgress(progress);
    if (stream.isTTY) stream.write(`\r\x1b[K${line}${done ? '\n' : ''}`);
    else logger.info(line);
  };
}

function formatProgress(progress: FlashProgress): string {
  const percent = progress.total === 0 ? 100 : Math.floor((progress.bytes / progress.total) * 100);
  return `${progress.phase.padEnd(6)} ${formatBytes(progress.bytes)} / ${formatBytes(progress.total)} ${percent}% ${formatBytes(progress.speed)}/s${progress.bytes === 0 ? '' : ` eta ${progress.eta} s`}`;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export const flashUsbCommand: Command = {
  summary: 'write the built usb.img (x86-64: disk.img) to a USB stick, read it back and compare',
  usage: 'mcdebian flash usb --device DEV [-c FILE | --board ID] [--image PATH] [--force] [--json]',
  flags: {
    device: { type: 'string', value: 'DEV', description: 'the stick\'s block device, e.g. /dev/sdb (lsblk lists them)' },
    board: commonFlags.board,
    config: commonFlags.config,
    image: { type: 'string', value: 'PATH', description: 'write this image instead of the build\'s' },
    force: { type: 'boolean', description: 'allow a regular file or a non-removable disk (never a mounted or busy one)' },
    json: commonFlags.json,
  },
  run: (context, values) => {
    const device = stringFlag(values, 'device');
    if (device === undefined) throw new UsageError('flash usb needs --device DEV', 'lsblk lists the block devices, e.g. --device /dev/sdb');
    const [image, board, config] = [stringFlag(values, 'image'), stringFlag(values, 'board'), stringFlag(values, 'config')];
    if (image === undefined && board === undefined && config === undefined) throw new UsageError('flash usb needs --board ID, -c FILE or --image PATH');
    return runFlashUsb(context, { device, image, board, config, force: values.force === true, json: values.json === true });
  },
};
