import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { claimRunDir, listGuestRuns, readGuestRun, runDirOf, runRoot, writeGuestState, type DetachedGuest } from '../../build/boot-runs.js';
import { makeTempDir } from '../helpers/temp-dir.js';

async function makeEnv(t: ExecutionContext): Promise<NodeJS.ProcessEnv> {
  return { XDG_RUNTIME_DIR: await makeTempDir(t) };
}

function guestFor(env: NodeJS.ProcessEnv, board: string, pid?: number): DetachedGuest {
  const dir = runDirOf(env, board);
  return {
    board, pid, starterPid: process.pid, sshPort: 2222, forwards: [], monitor: join(dir, 'monitor.sock'), serialSocket: join(dir, 'console.sock'),
    consoleLog: join(dir, 'console.log'), qemuLog: join(dir, 'qemu.log'), startedAt: new Date(0).toISOString(),
  };
}

/** The pid of a process whose command line names the monitor socket, as QEMU's does; killed when the test ends. */
async function standInQemu(t: ExecutionContext, monitor: string) {
  const child = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)', monitor], { reject: false });
  t.teardown(() => { child.kill('SIGKILL'); });
  // 'spawn' comes once exec has succeeded, so /proc shows the new command line
  await new Promise((resolve) => child.once('spawn', resolve));
  return { pid: child.pid! };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ['-e', '0']);
  await child;
  return child.pid!;
}

test('run directories live in $XDG_RUNTIME_DIR/mcdebian, else in a per-user directory under $TMPDIR', (t) => {
  t.is(runRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/mcdebian');
  t.is(runRoot({ TMPDIR: '/var/tmp' }), `/var/tmp/mcdebian-${process.getuid!()}`);
  t.is(runRoot({ XDG_RUNTIME_DIR: 'relative', TMPDIR: 'also-relative' }), `/tmp/mcdebian-${process.getuid!()}`, 'relative paths are ignored, as the XDG spec says');
  t.is(runDirOf({ XDG_RUNTIME_DIR: '/run/user/1000' }, 'qemu-armhf'), '/run/user/1000/mcdebian/qemu-armhf');
});

test('a claimed run directory holds the guest\'s state, and the root is private to the user', async (t) => {
  const env = await makeEnv(t);
  const guest = guestFor(env, 'qemu-armhf');
  const dir = await claimRunDir(env, guest);
  t.is(dir, runDirOf(env, 'qemu-armhf'));
  t.like(await readGuestRun(dir), { guest, alive: true }, 'alive while its starter (this process) runs');
  t.deepEqual(await readdir(runRoot(env)), ['qemu-armhf'], 'no staging directory is left');
});

test('a board whose QEMU runs is refused, naming its pid and how to stop it', async (t) => {
  const env = await makeEnv(t);
  const dir = await claimRunDir(env, guestFor(env, 'qemu-armhf'));
  const qemu = await standInQemu(t, join(dir, 'monitor.sock'));
  await writeGuestState(dir, guestFor(env, 'qemu-armhf', qemu.pid));
  const error = await t.throwsAsync(claimRunDir(env, guestFor(env, 'qemu-armhf')));
  t.is(error?.message, `qemu-armhf already runs in the background (QEMU pid ${qemu.pid}, SSH on 127.0.0.1:2222)`);
  t.is((error as { hint?: string }).hint, 'stop it with: mcdebian boot --stop --board qemu-armhf');
  t.deepEqual((await claimRunDir(env, guestFor(env, 'x86-64'))).endsWith('/x86-64'), true, 'another board may run beside it');
});

test('a run directory whose QEMU has exited, or whose pid now belongs to another program, is taken over', async (t) => {
  const env = await makeEnv(t);
  const dir = await claimRunDir(env, guestFor(env, 'qemu-armhf'));
  await writeGuestState(dir, guestFor(env, 'qemu-armhf', await deadPid()));
  t.false((await readGuestRun(dir))!.alive);
  await writeGuestState(await claimRunDir(env, guestFor(env, 'qemu-armhf')), guestFor(env, 'qemu-armhf', process.pid));
  t.false((await readGuestRun(dir))!.alive, 'this test process is not QEMU: its command line does not name the monitor');
  await t.notThrowsAsync(claimRunDir(env, guestFor(env, 'qemu-armhf')));
});

test('of two claims at once, one wins', async (t) => {
  const env = await makeEnv(t);
  const results = await Promise.allSettled([claimRunDir(env, guestFor(env, 'qemu-armhf')), claimRunDir(env, guestFor(env, 'qemu-armhf'))]);
  t.is(results.filter((result) => result.status === 'fulfilled').length, 1);
  const refused = results.find((result) => result.status === 'rejected');
  t.regex(String(refused?.reason), /qemu-armhf is being started by mcdebian \(pid \d+\)/);
});

test('the list holds every run directory with whether its guest runs', async (t) => {
  const env = await makeEnv(t);
  await claimRunDir(env, guestFor(env, 'x86-64'));
  const armDir = await claimRunDir(env, guestFor(env, 'qemu-armhf'));
  await writeGuestState(armDir, guestFor(env, 'qemu-armhf', await deadPid()));
  const runs = await listGuestRuns(env);
  t.deepEqual(runs.map((run) => [run.guest.board, run.alive]), [['qemu-armhf', false], ['x86-64', true]]);
});

test('a run root that others can write is refused', async (t) => {
  const env = await makeEnv(t);
  await mkdir(runRoot(env));
  await chmod(runRoot(env), 0o777);
  const error = await t.throwsAsync(claimRunDir(env, guestFor(env, 'qemu-armhf')));
  t.regex(error!.message, /is not a private directory of this user/);
});

test('a run directory too long for a unix socket path is refused before anything is made', async (t) => {
  const env = { XDG_RUNTIME_DIR: join(await makeTempDir(t), 'x'.repeat(100)) };
  const error = await t.throwsAsync(claimRunDir(env, guestFor(env, 'qemu-armhf')));
  t.regex(error!.message, /too long for a unix socket path/);
  t.is((error as { hint?: string }).hint, 'set XDG_RUNTIME_DIR to a shorter directory');
});
