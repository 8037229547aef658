/**
 * `mcdebian flash sftp --host H (--board ID | -c FILE) [--image PATH] [--port N] [--user U]
 * [--identity FILE] [--known-hosts FILE] [--accept-new-host-key] [--health-timeout S] [--rootfs [--keep PATH ...]]
 * [--dry-run] [--json]`:
 * the A/B flash of a running device (flash/sftp.ts). Exit 0 when the new slot came back
 * healthy, 1 otherwise (the report says whether the old slot is back).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Board } from '../../board/board.js';
import type { FlashImage } from '../../flash/preflight.js';
import { keepList } from '../../flash/rootfs-update.js';
import type { KeyFile } from '../../flash/device-session.js';
import { describeWait, formatWaitLine } from '../../flash/health-probe.js';
import { flashSftp, type RootfsUpdate } from '../../flash/sftp.js';
import { checkUImage } from '../../flash/uimage-header.js';
import { loadConfig, type ResolvedUser } from '../config/load.js';
import { keepPath } from '../config/schema.js';
import { UserError } from '../core/errors.js';
import type { Manifest } from '../manifest.js';
import { missingBuildHint } from './flash-build-hint.js';
import { createProgressPrinter } from './flash-usb.js';
import { commonFlags, integerFlag, listFlag, stringFlag, UsageError, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';
import { deviceFlags } from '../core/device-flags.js';

export interface FlashSftpOptions {
  host: string;
  port: number;
  user: string;
  board?: string;
  config?: string;
  image?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKey: boolean;
  healthTimeoutSeconds: number;
  dryRun: boolean;
  json: boolean;
  /** Also update the root filesystem from the build's rootfs.tar. */
  rootfs: boolean;
  /** More paths to keep, beside the defaults and the config's flash.keep. */
  keep: string[];
}

export async function runFlashSftp(context: CommandContext, options: FlashSftpOptions): Promise<ExitCode> {
  const config = await loadConfig({ file: options.config, board: options.board, cwd: context.cwd });
  const board = config.board;
  if (!board.kernelSlots) throw new UserError(`${board.id} has no kernel slots: flash sftp writes the NAND slots of a router (or qemu-armhf's stand-in)`, { hint: 'flash usb writes a USB stick' });
  const out = join(config.dir, config.output, board.id);
  const image = await resolveKernelImage(out, options.image ? resolve(context.cwd, options.image) : undefined, { cwd: context.cwd, boardId: board.id, config: options.config });
  if (!image.rootUuid) context.logger.warn(`${image.path} comes without a build manifest: whether its initramfs finds the device's root filesystem is not checked`);
  const temp = options.rootfs ? await mkdtemp(join(tmpdir(), 'mcdebian-rootfs-')) : undefined;
  try {
    const rootfs = temp ? await prepareRootfs(context, out, temp, keepList([...config.flash.keep, ...checkedKeep(options.keep)])) : undefined;
    return await flashAndReport(context, options, { board, image, rootfs, keyFiles: privateHalves(context.cwd, config.users) });
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

async function flashAndReport(context: CommandContext, options: FlashSftpOptions, what: { board: Board; image: FlashImage; rootfs?: RootfsUpdate; keyFiles: KeyFile[] }): Promise<ExitCode> {
  const { board, image, rootfs, keyFiles } = what;
  const waitPrinter = createWaitPrinter({ stream: process.stderr, timeoutMs: options.healthTimeoutSeconds * 1000 });
  const report = await flashSftp({
    board,
    rootfs,
    address: {
      host: options.host, port: options.port, user: options.user,
      identity: options.identity ? resolve(context.cwd, options.identity) : undefined,
      keyFiles,
      knownHosts: options.knownHosts ? resolve(context.cwd, options.knownHosts) : undefined,
      acceptNewHostKey: options.acceptNewHostKey,
    },
    image,
    dryRun: options.dryRun,
    healthTimeoutMs: options.healthTimeoutSeconds * 1000,
    logger: context.logger,
    onProgress: createProgressPrinter(context.logger, process.stderr),
    onWait: (status, waitedMs) => waitPrinter.print(describeWait(status, options.host), waitedMs),
  }).finally(() => waitPrinter.end());
  if (options.json) writeJson(context, { host: options.host, board: board.id, image: image.path, sha256: image.sha256, bytes: image.bytes, ...report });
  else {
    if (report.outcome === 'dry-run') for (const [i, step] of report.steps.entries()) context.stdout.write(`${i + 1}. ${step.step}${step.command ? `\n     ${step.command}` : ''}\n`);
    context.stdout.write(`${report.message}\n`);
  }
  return report.outcome === 'healthy' || report.outcome === 'dry-run' ? 0 : 1;
}

/** How often plain output repeats an unchanged wait line, so a log shows the wait is alive. */
const WAIT_REPEAT_MS = 15_000;

/**
 * The health wait on stderr (stdout stays the report, or --json): on a terminal one line redrawn
 * at every poll, a new line when what is awaited changes; elsewhere (CI, a file) a line when it
 * changes and every 15 s while it does not.
 */
export function createWaitPrinter(options: { stream: NodeJS.WritableStream & { isTTY?: boolean }; timeoutMs: number }) {
  let last: { text: string; at: number } | undefined;
  let open = false;
  return {
    print(text: string, waitedMs: number): void {
      const line = formatWaitLine(text, { waitedMs, timeoutMs: options.timeoutMs });
      const changed = last?.text !== text;
      if (options.stream.isTTY) {
        options.stream.write(`${open && changed ? '\n' : '\r\x1b[K'}${line}`);
        open = true;
      } else if (changed || waitedMs - last!.at >= WAIT_REPEAT_MS) {
        options.stream.write(`${line}\n`);
      } else {
        return;
      }
      last = { text, at: waitedMs };
    },
    /** Ends the terminal's open line. */
    end(): void {
      if (open) options.stream.write('\n');
      open = false;
    },
  };
}

/** --keep paths, held to the config's rules for flash.keep. */
function checkedKeep(paths: readonly string[]): string[] {
  for (const path of paths) {
    const result = keepPath.safeParse(path);
    if (!result.success) throw new UserError(`--keep ${path}: ${result.error.issues[0]?.message}`);
  }
  return [...paths];
}

/**
 * The build's rootfs.tar, gzip'd into `temp` for the upload (about a third of the bytes over a
 * slow link; Node's gzip writes no timestamp, so the same tar gives the same file and an
 * interrupted upload resumes across runs).
 */
async function prepareRootfs(context: CommandContext, out: string, temp: string, keep: string[]): Promise<RootfsUpdate> {
  const tar = join(out, 'rootfs.tar');
  const unpackedBytes = await stat(tar).then((s) => s.size, () => {
    throw new UserError(`no rootfs.tar in ${out}`, { hint: 'build the image first: --rootfs sends the build\'s root filesystem' });
  });
  const path = join(temp, 'rootfs.tar.gz');
  context.logger.info(`compressing ${tar} (${unpackedBytes} bytes) for the upload`);
  await pipeline(createReadStream(tar), createGzip({ level: 6 }), createWriteStream(path));
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, bytes: (await stat(path)).size, sha256: hash.digest('hex'), unpackedBytes, keep };
}

/**
 * The private halves of the public keys the config authorizes (keys/admin.pub -> keys/admin):
 * the keys the image lets in, so the first to offer. A key file not named *.pub has no half to
 * find beside it.
 */
function privateHalves(cwd: string, users: readonly ResolvedUser[]): KeyFile[] {
  const files = [...new Set(users.flatMap((user) => user.authorizedKeys.map((key) => key.file)))].filter((file) => file.endsWith('.pub'));
  return files.map((file) => {
    const path = file.slice(0, -'.pub'.length);
    return { path, label: `${relative(cwd, path)} (the private half of ${relative(cwd, file)} in users[].authorizedKeys)` };
  });
}

/** The kernel blob to flash: --image, or the build's kernel.uimg; its uImage CRCs are checked here. */
async function resolveKernelImage(out: string, given: string | undefined, where: { cwd: string; boardId: string; config?: string }): Promise<FlashImage> {
  const path = given ?? join(out, 'kernel.uimg');
  const bytes = await stat(path).then((s) => s.size, () => undefined);
  if (bytes === undefined) {
    throw new UserError(`no kernel image at ${path}`, { hint: given ? 'check --image' : await missingBuildHint({ ...where, artifact: 'kernel.uimg' }) });
  }
  checkUImage(await readFile(path), path);
  let sha256: string | undefined;
  let rootUuid: string | undefined;
  if (!given) {
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8').catch(() => '{}')) as Partial<Manifest>;
    sha256 = manifest.artifacts?.find((artifact) => artifact.name === 'kernel.uimg')?.sha256;
    rootUuid = manifest.rootUuid;
  }
  if (!sha256) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    sha256 = hash.digest('hex');
  }
  return { path, bytes, sha256, rootUuid };
}

export const flashSftpCommand: Command = {
  summary: 'flash a running router\'s inactive kernel slot over SSH, switch to it and wait until it is healthy',
  usage: [
    'mcdebian flash sftp --host H (-c FILE | --board ID) [--image PATH] [--port N] [--user U] [--identity FILE]',
    '                           [--known-hosts FILE] [--accept-new-host-key] [--health-timeout SECONDS] [--rootfs [--keep PATH ...]] [--dry-run] [--json]',
  ].join('\n'),
  flags: {
    host: deviceFlags.host,
    board: commonFlags.board,
    config: commonFlags.config,
    image: { type: 'string', value: 'PATH', description: 'flash this kernel.uimg instead of the build\'s' },
    port: deviceFlags.port,
    user: { type: 'string', value: 'U', description: 'log in as this user (default root)' },
    identity: { type: 'string', value: 'FILE', description: 'the only private key to offer (default: the private halves of users[].authorizedKeys, the ssh-agent\'s keys, then OpenSSH\'s identity files)' },
    'known-hosts': deviceFlags['known-hosts'],
    'accept-new-host-key': { type: 'boolean', description: 'pin the device\'s key on first contact' },
    'health-timeout': { type: 'string', value: 'SECONDS', description: 'how long to wait for the new slot to come back healthy (default 600)' },
    rootfs: { type: 'boolean', description: 'also update the root filesystem on the stick from the build\'s rootfs.tar' },
    keep: { type: 'string', multiple: true, value: 'PATH', description: 'with --rootfs: keep this path from the old root too (repeatable)' },
    'dry-run': { type: 'boolean', description: 'run preflight and print every step with its command; write nothing' },
    json: commonFlags.json,
  },
  run: (context, values) => {
    const host = stringFlag(values, 'host');
    if (host === undefined) throw new UsageError('flash sftp needs --host H', 'the router\'s address, e.g. --host 192.168.1.1');
    if (values.board === undefined && values.config === undefined) throw new UsageError('flash sftp needs --board ID or -c FILE: preflight checks the device against the board');
    if (values.keep !== undefined && values.rootfs !== true) throw new UsageError('--keep goes with --rootfs: it names what a root filesystem update keeps');
    return runFlashSftp(context, {
      host,
      port: integerFlag(values, 'port', { fallback: 22, min: 1, max: 65535 }),
      user: stringFlag(values, 'user') ?? 'root',
      board: stringFlag(values, 'board'),
      config: stringFlag(values, 'config'),
      image: stringFlag(values, 'image'),
      identity: stringFlag(values, 'identity'),
      knownHosts: stringFlag(values, 'known-hosts'),
      acceptNewHostKey: values['accept-new-host-key'] === true,
      healthTimeoutSeconds: integerFlag(values, 'health-timeout', { fallback: 600, min: 30, max: 86_400 }),
      dryRun: values['dry-run'] === true,
      json: values.json === true,
      rootfs: values.rootfs === true,
      keep: listFlag(values, 'keep'),
    });
  },
};
