/**
 * The run directories of guests `mcdebian boot --detach` started: one per board, so several
 * boards run at once and a second guest of the same board is refused. Each holds the guest's
 * copy-on-write disks, QEMU's monitor and console sockets, the console log and state.json.
 *
 * Where: $XDG_RUNTIME_DIR/mcdebian (the XDG Base Directory place for sockets and pid files),
 * else $TMPDIR/mcdebian-<uid> as tmux does, made 0700 and refused when someone else owns it.
 * Not the stage cache: `mcdebian clean` empties that, and would pull the disks from under a
 * running guest.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PortForward } from './boot.js';
import { UserError } from './core/errors.js';
import type { GuestLink } from './guest-link.js';

/** A guest `boot --detach` started, as its run directory's state.json records it. */
export interface DetachedGuest {
  board: string;
  /** QEMU's process id; absent while the guest is being set up. */
  pid?: number;
  /** The `mcdebian boot --detach` that set it up, which owns it until QEMU runs. */
  starterPid: number;
  sshPort: number;
  forwards: PortForward[];
  /** The NICs wired to other guests (--link); absent in the state of a guest started before there were links. */
  links?: GuestLink[];
  /** QEMU's monitor: `boot --stop` sends system_powerdown here. */
  monitor: string;
  /** The serial console's socket. */
  serialSocket: string;
  /** Everything the console printed. */
  consoleLog: string;
  /** QEMU's own stdout and stderr. */
  qemuLog: string;
  /** The config it booted, when -c named one. */
  config?: string;
  /** ISO 8601. */
  startedAt: string;
}

/** A run directory and what it holds. */
export interface GuestRun {
  dir: string;
  guest: DetachedGuest;
  /** Whether QEMU (or, while it is set up, the starter) still runs. */
  alive: boolean;
}

const STATE = 'state.json';
/** sun_path is 108 bytes with its NUL (unix(7)). */
const MAX_SOCKET_PATH = 107;

/** Where run directories live for this environment. */
export function runRoot(env: NodeJS.ProcessEnv): string {
  if (env.XDG_RUNTIME_DIR?.startsWith('/')) return join(env.XDG_RUNTIME_DIR, 'mcdebian');
  const temp = env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp';
  return join(temp, `mcdebian-${process.getuid?.() ?? 0}`);
}

export function runDirOf(env: NodeJS.ProcessEnv, board: string): string {
  return join(runRoot(env), board);
}

/** Makes the run root 0700, and refuses one that is a symlink or not ours (a shared /tmp). */
async function ensureRunRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const info = await lstat(root);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) {
    throw new UserError(`${root} is not a private directory of this user`, { hint: `remove it, or set XDG_RUNTIME_DIR to a directory only you can write` });
  }
}

/** Whether the process runs and is not a zombie (a reaper that never reaps leaves those). */
async function isRunning(pid: number, mustMention?: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
  if (mustMention === undefined) return true;
  // a recycled pid is another program: QEMU's command line names this guest's monitor socket
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes(mustMention);
}

export async function isGuestAlive(guest: DetachedGuest): Promise<boolean> {
  return guest.pid === undefined ? isRunning(guest.starterPid) : isRunning(guest.pid, guest.monitor);
}

export async function readGuestRun(dir: string): Promise<GuestRun | undefined> {
  const text = await readFile(join(dir, STATE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const guest = JSON.parse(text) as DetachedGuest;
  return { dir, guest, alive: await isGuestAlive(guest) };
}

export async function writeGuestState(dir: string, guest: DetachedGuest): Promise<void> {
  await writeFile(join(dir, `${STATE}.new`), `${JSON.stringify(guest, null, 2)}\n`);
  await rename(join(dir, `${STATE}.new`), join(dir, STATE));
}

/** Every run directory under the root, live or left behind by a guest that exited. */
export async function listGuestRuns(env: NodeJS.ProcessEnv): Promise<GuestRun[]> {
  const root = runRoot(env);
  const names = await readdir(root).catch(() => [] as string[]);
  const runs = await Promise.all(names.filter((name) => !name.startsWith('.')).sort().map((name) => readGuestRun(join(root, name))));
  return runs.filter((run) => run !== undefined);
}

/**
 * Takes the board's run directory for a new guest. The directory is made under a temporary name
 * with its state.json and renamed into place, and rename(2) will not replace a non-empty
 * directory: of two `--detach` at once, one wins. A directory whose guest has exited is removed
 * first; a live one is refused, naming how to stop it.
 */
export async function claimRunDir(env: NodeJS.ProcessEnv, guest: DetachedGuest): Promise<string> {
  const root = runRoot(env);
  const dir = join(root, guest.board);
  if (join(dir, 'monitor.sock').length > MAX_SOCKET_PATH) {
    throw new UserError(`the run directory ${dir} is too long for a unix socket path (${MAX_SOCKET_PATH} bytes at most)`, { hint: 'set XDG_RUNTIME_DIR to a shorter directory' });
  }
  await ensureRunRoot(root);
  const staging = await mkdtemp(join(root, `.${guest.board}-`));
  await writeGuestState(staging, guest);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await rename(staging, dir);
      return dir;
    } catch (error) {
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
    const run = await readGuestRun(dir);
    if (run === undefined || run.alive) {
      await rm(staging, { recursive: true, force: true });
      throw run ? alreadyRunning(run) : new UserError(`${dir} exists and is not a run directory of mcdebian boot`, { hint: 'remove it' });
    }
    await rm(dir, { recursive: true, force: true });
  }
  await rm(staging, { recursive: true, force: true });
  throw new UserError(`another mcdebian boot --detach started ${guest.board} at the same time`, { hint: 'mcdebian boot --status lists what runs' });
}

function alreadyRunning(run: GuestRun): UserError {
  const { guest } = run;
  const what = guest.pid === undefined ? `is being started by mcdebian (pid ${guest.starterPid})` : `already runs in the background (QEMU pid ${guest.pid}, SSH on 127.0.0.1:${guest.sshPort})`;
  return new UserError(`${guest.board} ${what}`, { hint: `stop it with: mcdebian boot --stop --board ${guest.board}` });
}

export async function removeRunDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
