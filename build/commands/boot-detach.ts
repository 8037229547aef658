/**
 * `mcdebian boot --detach`: starts the guest in the background and exits 0 once its SSH server
 * sends its banner on the forwarded port, printing the ports. QEMU runs as a child in a session
 * of its own (so a Ctrl-C on this terminal later does not reach it), its output in qemu.log and
 * the console in console.log, in the board's run directory (build/boot-runs.ts). If QEMU exits
 * first, or the deadline passes, or Ctrl-C comes while waiting, the guest is stopped, the run
 * directory removed, and the error carries the console's tail.
 */
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { claimRunDir, removeRunDir, runDirOf, writeGuestState, type DetachedGuest } from '../boot-runs.js';
import { writeJson, type CommandContext, type ExitCode } from '../core/command.js';
import { InterruptedError, UserError } from '../core/errors.js';
import { guestArgs, prepareGuestDisks } from '../guest-disks.js';
import { describeLink } from '../guest-link.js';
import { readSshBanner } from '../ssh-banner.js';
import { prepareBootTarget, type BootOptions } from './boot-setup.js';

/** How long one probe waits for the banner; QEMU holds a forwarded connection while the guest is silent. */
const PROBE_MS = 10_000;
/** Between probes, and between progress lines. */
const RETRY_MS = 2_000;
const PROGRESS_MS = 30_000;
const CONSOLE_TAIL_LINES = 30;

export interface DetachOptions extends BootOptions {
  /** Give up (and stop the guest) when SSH has not answered after this many seconds. */
  readyTimeoutSeconds: number;
  json: boolean;
}

/** QEMU started in the background, watched until this command exits. */
interface BackgroundQemu {
  pid: number;
  /** Set once QEMU has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  exited: Promise<void>;
  /** Lets this command exit while QEMU runs on. */
  release(): void;
  /** SIGKILL: the guest is being given up on, its disks thrown away. */
  kill(): void;
}

async function startBackgroundQemu(argv: readonly string[], logFile: string): Promise<BackgroundQemu> {
  const log = await open(logFile, 'a');
  const [file, ...args] = argv;
  const child = spawn(file!, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new UserError(`${file} not found`, { hint: 'mcdebian doctor lists the QEMU packages to install' }) : error));
  });
  await spawned.finally(() => log.close());
  const qemu: BackgroundQemu = {
    pid: child.pid!,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => { qemu.exit = { code, signal }; resolve(); })),
    release: () => child.unref(),
    kill: () => child.kill('SIGKILL'),
  };
  return qemu;
}

/** The last lines of a log, indented, for an error message. */
async function tailOf(file: string): Promise<string> {
  // without the console's colour and cursor escapes (ECMA-48 CSI sequences; systemd's ESC M)
  const text = (await readFile(file, 'utf8').catch(() => '')).replace(/\x1b\[[0-9;?]*[@-~]|\x1b[@-Z\\-_]/g, '').replace(/\r/g, '');
  const lines = text.trimEnd().split('\n').filter((line) => line.trim() !== '').slice(-CONSOLE_TAIL_LINES);
  return lines.length === 0 ? '  | (nothing)' : lines.map((line) => `  | ${line}`).join('\n');
}

async function failure(guest: DetachedGuest, what: string): Promise<UserError> {
  const qemuOutput = await tailOf(guest.qemuLog);
  return new UserError(`${what}\nthe console's last lines:\n${await tailOf(guest.consoleLog)}\nQEMU said:\n${qemuOutput}`, {
    hint: `to watch the console, boot it attached: mcdebian boot ${guest.config ? `-c ${guest.config}` : `--board ${guest.board}`}; to wait longer, --ready-timeout SECONDS`,
  });
}

/** Probes until the banner comes, QEMU exits, the deadline passes or a signal aborts. */
async function waitForSsh(context: CommandContext, options: { guest: DetachedGuest; qemu: BackgroundQemu; timeoutSeconds: number; signal: AbortSignal }): Promise<string> {
  const { guest, qemu, signal } = options;
  const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
  aborted.catch(() => undefined);
  const started = Date.now();
  let lastProgress = started;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    if (qemu.exit) throw await failure(guest, `QEMU exited (${qemu.exit.signal ?? `code ${qemu.exit.code}`}) before SSH answered on 127.0.0.1:${guest.sshPort}`);
    const banner = await Promise.race([readSshBanner({ port: guest.sshPort, timeoutMs: PROBE_MS }), aborted]);
    if (banner !== undefined) return banner;
    const seconds = Math.round((Date.now() - started) / 1000);
    if (seconds >= options.timeoutSeconds) throw await failure(guest, `SSH did not answer on 127.0.0.1:${guest.sshPort} within ${options.timeoutSeconds} s; the guest was stopped`);
    if (Date.now() - lastProgress >= PROGRESS_MS) {
      lastProgress = Date.now();
      const last = (await tailOf(guest.consoleLog)).split('\n').at(-1)!.replace(/^ {2}\| /, '');
      context.logger.info(`waiting for SSH on 127.0.0.1:${guest.sshPort} (${seconds} s of ${options.timeoutSeconds}); console: ${last.slice(0, 120)}`);
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, RETRY_MS)), qemu.exited, aborted]);
  }
}

export async function runDetachedBoot(context: CommandContext, options: DetachOptions): Promise<ExitCode> {
  const { board, out, configFile } = await prepareBootTarget(context, options);
  const dir = runDirOf(context.env, board.id);
  const guest: DetachedGuest = {
    board: board.id, starterPid: process.pid, sshPort: options.sshPort, forwards: options.forwards, links: options.links,
    // absolute, so that --stop from another directory finds the monitor, and QEMU's command line names it as recorded
    monitor: resolve(context.cwd, options.monitor ?? join(dir, 'monitor.sock')), serialSocket: resolve(context.cwd, options.serialSocket ?? join(dir, 'console.sock')),
    consoleLog: join(dir, 'console.log'), qemuLog: join(dir, 'qemu.log'), config: configFile, startedAt: new Date().toISOString(),
  };
  await claimRunDir(context.env, guest);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => abort.abort(new InterruptedError(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let qemu: BackgroundQemu | undefined;
  try {
    const disks = await prepareGuestDisks(board, { out, dir, flashDisk: options.flashDisk });
    const argv = guestArgs(disks, { sshPort: options.sshPort, forwards: options.forwards, links: options.links, console: { mode: 'detached', monitor: guest.monitor, serialSocket: guest.serialSocket, consoleLog: guest.consoleLog } });
    context.logger.debug(argv.join(' '));
    qemu = await startBackgroundQemu(argv, guest.qemuLog);
    guest.pid = qemu.pid;
    await writeGuestState(dir, guest);
    context.logger.info(`started ${board.id} under QEMU (TCG) in the background; waiting up to ${options.readyTimeoutSeconds} s for SSH on 127.0.0.1:${options.sshPort}`);
    const banner = await waitForSsh(context, { guest, qemu, timeoutSeconds: options.readyTimeoutSeconds, signal: abort.signal });
    qemu.release();
    reportReady(context, { guest, dir, banner, json: options.json });
    return 0;
  } catch (error) {
    if (qemu && !qemu.exit) {
      qemu.kill();
      await qemu.exited;
    }
    await removeRunDir(dir);
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function reportReady(context: CommandContext, options: { guest: DetachedGuest; dir: string; banner: string; json: boolean }): void {
  const { guest } = options;
  const forwards = guest.forwards.map((f) => ({ protocol: f.protocol, host: '127.0.0.1', hostPort: f.hostPort, guestPort: f.guestPort }));
  const links = guest.links ?? [];
  if (options.json) {
    writeJson(context, {
      board: guest.board, pid: guest.pid, ssh: { host: '127.0.0.1', port: guest.sshPort, banner: options.banner }, forwards, links,
      runDir: options.dir, monitor: guest.monitor, serialSocket: guest.serialSocket, consoleLog: guest.consoleLog, qemuLog: guest.qemuLog,
    });
    return;
  }
  context.stdout.write([
    `${guest.board} runs in the background (QEMU pid ${guest.pid}); SSH answers on 127.0.0.1:${guest.sshPort} (${options.banner})`,
    `  ssh -p ${guest.sshPort} root@127.0.0.1`,
    ...forwards.map((f) => `  ${f.protocol} 127.0.0.1:${f.hostPort} -> guest port ${f.guestPort}`),
    ...links.map(describeLink).map((text) => `  ${text}`),
    `  console: unix:${guest.serialSocket}, logged to ${guest.consoleLog}`,
    `  monitor: unix:${guest.monitor}`,
    `stop it with: mcdebian boot --stop --board ${guest.board}`,
    '',
  ].join('\n'));
}
