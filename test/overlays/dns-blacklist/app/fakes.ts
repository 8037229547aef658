/**
 * Test doubles for the dns-blacklist service: an in-memory updater slow enough to lose updates
 * if two ran at once, the admin API on a random loopback port, and fake nsupdate/dig programs
 * that record their argv and stdin.
 */
import type { ExecutionContext } from 'ava';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createApiHandler } from '../../../../overlays/dns-blacklist/app/api.js';
import { createAuthenticator } from '../../../../overlays/dns-blacklist/app/auth.js';
import { Blocklist } from '../../../../overlays/dns-blacklist/app/blocklist.js';
import { BoundedQueue } from '../../../../overlays/dns-blacklist/app/bounded-queue.js';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { verifyPassword } from '../../../../overlays/dns-blacklist/app/password.js';
import { FailureLimiter } from '../../../../overlays/runtime/failure-limiter.js';
import { UpdateError, type Updater } from '../../../../overlays/dns-blacklist/app/updater.js';
import type { Change } from '../../../../overlays/dns-blacklist/app/zone.js';

/**
 * The zone in memory, changed by read-modify-write with a wait in between: two applies that
 * overlap lose one of them, as two PHP scripts rewriting named.conf did.
 */
export class SlowMemoryUpdater implements Updater {
  domains = new Set<string>();
  applyRuns = 0;
  maxInFlight = 0;
  #inFlight = 0;
  /** When set, apply fails with this as nsupdate's complaint. */
  failure: string | undefined;
  /** Names the next failing apply still changes first (removals, then additions), as the messages nsupdate sent before the one that failed. */
  appliedBeforeFailure = 0;
  /** Applies that fail while `failure` is set; after them apply works again. */
  failuresLeft = Number.POSITIVE_INFINITY;

  async list(): Promise<string[]> {
    await delay(1);
    return [...this.domains].sort();
  }

  async apply(change: Change): Promise<void> {
    this.applyRuns++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.#inFlight);
    try {
      const steps: [string, boolean][] = [...change.remove.map((domain): [string, boolean] => [domain, false]), ...change.add.map((domain): [string, boolean] => [domain, true])];
      const failing = this.failure !== undefined && this.failuresLeft-- > 0;
      const next = new Set(this.domains);
      await delay(10);
      const applied = failing ? steps.slice(0, this.appliedBeforeFailure) : steps;
      if (failing) this.appliedBeforeFailure = 0;
      for (const [domain, add] of applied) {
        if (add) next.add(domain);
        else next.delete(domain);
      }
      this.domains = next;
      if (failing) throw new UpdateError(`nsupdate exited with code 2: ${this.failure}`);
    } finally {
      this.#inFlight--;
    }
  }
}

export const ZONE = 'rpz.mcdebian';

/** Starts a server on 127.0.0.1 with a random port, closed when the test ends. */
export async function listenOnLoopback(t: ExecutionContext, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface ApiUnderTest {
  url: string;
  updater: SlowMemoryUpdater;
  log: ReturnType<typeof createMemoryLog>;
  clock: { now: number };
  hashing: BoundedQueue;
}

export interface ApiOptions {
  maxBatch?: number;
  maxBodyBytes?: number;
  /** The hashing queue; one running and four waiting, as in serve.ts, by default. */
  hashing?: BoundedQueue;
  /** Replaces scrypt (to count or hold the checks). */
  verify?: (password: string, stored: string) => Promise<boolean>;
}

/** The admin API with the fake updater, user `admin`, the given password hash and a settable clock. */
export async function startApi(t: ExecutionContext, passwordHash: string, options: ApiOptions = {}): Promise<ApiUnderTest> {
  const { hashing = new BoundedQueue({ concurrency: 1, maxWaiting: 4 }), verify, ...limits } = options;
  const clock = { now: 1_000_000 };
  const updater = new SlowMemoryUpdater();
  const log = createMemoryLog();
  const limiter = new FailureLimiter({ maxFailures: 5, windowMs: 60_000, now: () => clock.now });
  const authenticate = createAuthenticator({ user: 'admin', passwordHash, limiter, hashing, verify, now: () => clock.now });
  const handler = createApiHandler({ blocklist: new Blocklist(updater), authenticate, zone: ZONE, log, ...limits });
  return { url: await listenOnLoopback(t, createServer(handler)), updater, log, clock, hashing };
}

/** The real password check, held until `open()`; records the password of each call. */
export class HeldVerifier {
  readonly calls: string[] = [];
  #open = false;
  readonly #held: (() => void)[] = [];

  readonly verify = async (password: string, stored: string): Promise<boolean> => {
    this.calls.push(password);
    if (!this.#open) await new Promise<void>((resolve) => this.#held.push(resolve));
    return verifyPassword(password, stored);
  };

  /** Lets the held checks and every later one through. */
  open(): void {
    this.#open = true;
    for (const release of this.#held.splice(0)) release();
  }
}

/** Resolves once `condition` holds; fails after 30 s (a loaded machine is slow, not wrong). */
export async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(5);
  }
}

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Fake `nsupdate` and `dig` in `<dir>/bin`: each writes its arguments one per line to
 * `<dir>/<name>.argv` and its stdin to `<dir>/<name>.stdin`, prints `<dir>/<name>.stdout` and
 * `<dir>/<name>.stderr` when present, and exits with the code in `<dir>/<name>.exit` (0 without).
 */
export async function makeFakeBindTools(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const name of ['nsupdate', 'dig']) {
    const at = (suffix: string) => `'${join(dir, `${name}.${suffix}`)}'`;
    await writeFile(join(bin, name), [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > ${at('argv')}`,
      `cat > ${at('stdin')}`,
      `[ -f ${at('stdout')} ] && cat ${at('stdout')}`,
      `[ -f ${at('stderr')} ] && cat ${at('stderr')} >&2`,
      `[ -f ${at('exit')} ] && exit "$(cat ${at('exit')})"`,
      'exit 0',
      '',
    ].join('\n'));
    await chmod(join(bin, name), 0o755);
  }
  return bin;
}
