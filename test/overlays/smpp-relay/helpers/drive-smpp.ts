/**
 * Kannel's own SMPP test server, drive_smpp (Debian package kannel-extras), as a second upstream
 * for the relay, independent of our simulator. What it does (gw test/drive_smpp.c, 1.4.5):
 * answers bind_transmitter and bind_receiver (not bind_transceiver: "Unhandled SMPP PDU", no
 * answer), submit_sm (message_id always empty), enquire_link and unbind; to a receiver it sends
 * `messages` deliver_sm. It quits as soon as any ESME connection ends, and one second after the
 * first connection it connects to a bearerbox smsbox port hard-wired as 127.0.0.1:13001,
 * panicking when nothing listens there — this helper listens there for it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { isListening, startTool, stopTool, waitForListening } from './kannel.js';
import { sleep } from './gateway.js';

export const DRIVE_SMPP = '/usr/lib/kannel/test/drive_smpp';
/** `port_for_smsbox = 13001` in drive_smpp.c; no option changes it. */
export const DRIVE_SMPP_BOX_PORT = 13001;

export interface DriveSmppOptions {
  /** The SMPP port it listens on (all addresses). */
  port: number;
  /** `-m`: deliver_sm sent to a receiver bind, and the submit count it logs "ESME has submitted all messages" at (default 1). */
  messages?: number;
}

export interface RunningDriveSmpp {
  /** submit_sm it has received (its final count once it has exited, else its per-submit debug lines). */
  submitted(): number;
  /** Everything it logged (debug level). */
  log(): Promise<string>;
  /** Resolves true once it has exited (it does when the ESME's connection ends), false after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<boolean>;
  /** Lets it exit on its own for a moment (its summary is printed then), else SIGTERM, then SIGKILL. */
  stop(): Promise<void>;
}

/**
 * Whoever holds 127.0.0.1:13001 for the drive_smpp processes of this test process. Another test
 * process may hold it (ava runs files in parallel): any listener serves, since drive_smpp only
 * waits on it; while ours does not hold it, a guard loop takes it over as soon as it is free, well
 * inside drive_smpp's second try two seconds after the first.
 */
const box: { server?: Server; sockets: Set<Socket>; users: number; guarding: boolean } = { sockets: new Set(), users: 0, guarding: false };

function listenOnBoxPort(): Promise<void> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      box.sockets.add(socket);
      socket.on('close', () => box.sockets.delete(socket));
      socket.on('error', () => { /* drive_smpp went away */ });
    });
    server.once('error', () => resolve()); // EADDRINUSE: someone else holds it for now
    server.listen(DRIVE_SMPP_BOX_PORT, '127.0.0.1', () => { box.server = server; resolve(); });
  });
}

function closeBoxPort(): void {
  box.server?.close();
  box.server = undefined;
  for (const socket of box.sockets) socket.destroy();
}

function releaseBoxPort(): void {
  if (--box.users === 0) closeBoxPort();
}

async function guardBoxPort(): Promise<void> {
  box.guarding = true;
  while (box.users > 0) {
    if (!box.server) await listenOnBoxPort();
    await sleep(250);
  }
  box.guarding = false;
  closeBoxPort(); // a listen that completed after the last release
}

async function acquireBoxPort(): Promise<void> {
  box.users++;
  if (!box.guarding) void guardBoxPort();
  for (let attempt = 0; attempt < 100 && !(await isListening(DRIVE_SMPP_BOX_PORT)); attempt++) await sleep(50);
  if (!(await isListening(DRIVE_SMPP_BOX_PORT))) {
    releaseBoxPort();
    throw new Error(`nothing listens on 127.0.0.1:${DRIVE_SMPP_BOX_PORT} for drive_smpp, and this process could not`);
  }
}

/** Starts drive_smpp on `port` (debug log level: it logs each submit_sm only there) and waits until it listens. */
export async function startDriveSmpp(options: DriveSmppOptions): Promise<RunningDriveSmpp> {
  await acquireBoxPort();
  const tool = startTool([DRIVE_SMPP, '-v', '0', '-p', String(options.port), '-m', String(options.messages ?? 1)]);
  let released = false;
  const release = () => { if (!released) { released = true; releaseBoxPort(); } };
  void tool.child.then(release);
  const waitForExit = async (timeoutMs = 30_000): Promise<boolean> => {
    for (const deadline = Date.now() + timeoutMs; !tool.exited() && Date.now() < deadline;) await sleep(20);
    return tool.exited();
  };
  const stop = async () => {
    await waitForExit(1000);
    await stopTool(tool, 5000);
    release();
  };
  // no connection to probe it: drive_smpp counts any connection as the ESME and quits when it closes
  await waitForListening(tool, options.port, 'drive_smpp').catch(async (error: Error) => { await stop(); throw error; });
  return { submitted: () => countSubmits(tool.output()), log: async () => tool.output(), waitForExit, stop };
}

/** "Number of messages sent to SMSC: N" once it has exited, else its "submit_sm: short_message = <...>" debug lines. */
export function countSubmits(log: string): number {
  const total = /Number of messages sent to SMSC: (\d+)/.exec(log)?.[1];
  return total === undefined ? log.match(/DEBUG: submit_sm: short_message = </g)?.length ?? 0 : Number(total);
}
