/**
 * Moves accepted messages onto links and keeps them moving: routes each message (router.ts)
 * onto a link's queue, sends from each queue as the link's window, throttling and throughput
 * allow, and reacts to what comes back:
 * - acknowledged: recorded (store), a receipt awaited when asked for;
 * - refused for good: recorded, the message's other parts still go;
 * - throttled: back to the front of the same queue (the link pauses itself);
 * - no answer, a system error, a full SMSC queue: counted against the link's health, tried
 *   again later on whatever link routing picks, until `sms-resend-retry`;
 * - link lost, or taken out of rotation: its queue goes back to routing at once (Kannel does
 *   the same with its unacknowledged submits: at-least-once).
 * Messages no active link can take wait in a global queue, routed again whenever a link comes
 * back and every second.
 */
import { EventEmitter } from 'node:events';
import type { Log } from '../../runtime/service-log.js';
import { LinkHealth } from './health.js';
import { chooseLink, type LinkView, type Route } from './router.js';
import type { StoredMessage } from './store.js';
import type { LinkSettings, SubmitPart, SubmitResult } from './types.js';

/** What the dispatcher needs of an SMPP link (smpp-link.ts has it; tests use fakes). */
export interface LinkPort extends EventEmitter {
  readonly state: string;
  readonly inFlight: number;
  canSend(): boolean;
  submit(part: SubmitPart): Promise<SubmitResult>;
}

/** A part waiting to go. */
export interface PartJob {
  message: StoredMessage;
  part: number;
  /** Temporary failures so far. */
  attempts: number;
}

interface Waiting {
  jobs: PartJob[];
  notBefore: number;
}

export interface DispatcherLink {
  settings: LinkSettings;
  port: LinkPort;
  health: LinkHealth;
  queue: PartJob[];
}

/** What the dispatcher reports; the service records it in the store and fetches DLR URLs. */
export interface DispatchEvents {
  sent(job: PartJob, link: DispatcherLink, messageId: string): void;
  failed(job: PartJob, failure: { status?: number; reason: string; link?: DispatcherLink }): void;
}

export interface DispatcherOptions {
  /** `sms-resend-retry`: -1 for ever. */
  resendRetry: number;
  /** `sms-resend-freq` seconds: the longest wait before another try. */
  resendFreq: number;
  /** `sms-outgoing-queue-limit`. */
  queueLimit: number;
  /** Builds the submit for a part on a link (addresses, TON/NPI). */
  partFor(job: PartJob, link: LinkSettings): SubmitPart;
  events: DispatchEvents;
  log: Log;
  now?: () => number;
  random?: () => number;
}

/** SMPP statuses Kannel treats as temporary that say the link is unwell (not throttling). */
const THROTTLED = 0x58;

export class Dispatcher {
  readonly links: DispatcherLink[];
  readonly waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(links: readonly { settings: LinkSettings; port: LinkPort }[], private readonly options: DispatcherOptions) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.links = links.map(({ settings, port }) => {
      const health = new LinkHealth({
        failures: settings.healthFailures,
        probeDelay: settings.healthProbeDelay,
        onChange: (state, why) => this.#healthChanged(link, state, why),
      });
      const link: DispatcherLink = { settings, port, health, queue: [] };
      port.on('ready', () => this.#pump(link));
      port.on('state', (state: string) => this.#stateChanged(link, state));
      return link;
    });
  }

  start(): void {
    this.#timer = setInterval(() => this.#retryWaiting(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** What routing would do with a message for this smsc-id now (sendsms answers by it). */
  preview(smscId: string | undefined): Route['kind'] {
    if (this.queued >= this.options.queueLimit) return 'full';
    return this.#route(smscId).kind;
  }

  /** Puts a message's parts that are still to go on their way. */
  enqueue(message: StoredMessage, parts: readonly number[] = message.parts.map((_, index) => index)): void {
    this.#place(parts.map((part) => ({ message, part, attempts: 0 })));
  }

  /** Parts waiting for a link. */
  get waitingParts(): number {
    return this.waiting.reduce((sum, entry) => sum + entry.jobs.length, 0);
  }

  /** Parts not yet submitted: waiting for a link, and on links' queues. */
  get queued(): number {
    return this.waitingParts + this.links.reduce((sum, link) => sum + link.queue.length, 0);
  }

  #route(smscId: string | undefined): Route {
    const now = this.#now();
    const views: LinkView[] = this.links.map((link) => ({
      lists: link.settings,
      active: link.port.state === 'bound' && link.health.admits(now, link.queue.length + link.port.inFlight),
      load: link.queue.length,
    }));
    return chooseLink(smscId, views, { start: Math.floor(this.#random() * this.links.length), maxQueue: this.options.queueLimit });
  }

  /** Routes jobs of one message together: parts stay on one link, as Kannel pins split parts. */
  #place(jobs: PartJob[], notBefore = 0): void {
    if (jobs.length === 0) return;
    const message = jobs[0]!.message;
    const route = notBefore > this.#now() ? ({ kind: 'queue' } as const) : this.#route(message.smscId);
    if (route.kind === 'link') {
      const link = this.links[route.index]!;
      link.queue.push(...jobs);
      this.#pump(link);
    } else if (route.kind === 'reject') {
      for (const job of jobs) this.options.events.failed(job, { reason: 'no link may carry this smsc-id any more' });
    } else {
      this.waiting.push({ jobs, notBefore });
    }
  }

  #pump(link: DispatcherLink): void {
    while (link.queue.length > 0 && link.port.canSend()) {
      const job = link.queue.shift()!;
      let part: SubmitPart;
      try {
        part = this.options.partFor(job, link.settings);
      } catch (error) {
        // a part no SMSC can take (parts.ts, MalformedPart) fails without a try
        this.options.events.failed(job, { reason: (error as Error).message, link });
        continue;
      }
      void link.port.submit(part).then(
        (result) => this.#settle(link, job, result),
        (error: Error) => this.#settle(link, job, { kind: 'temporary', reason: `submit failed: ${error.message}` }),
      );
    }
  }

  #settle(link: DispatcherLink, job: PartJob, result: SubmitResult): void {
    if (result.kind === 'ok') {
      link.health.recordSuccess();
      this.options.events.sent(job, link, result.messageId);
    } else if (result.kind === 'permanent') {
      link.health.recordSuccess();
      this.options.events.failed(job, { status: result.status, reason: result.reason, link });
    } else if (result.status === THROTTLED) {
      link.queue.unshift(job);
    } else {
      this.#retryLater(link, job, result);
    }
    this.#pump(link);
  }

  #retryLater(link: DispatcherLink, job: PartJob, result: Extract<SubmitResult, { kind: 'temporary' }>): void {
    const lost = link.port.state !== 'bound';
    if (!lost) link.health.recordFailure(this.#now(), result.reason);
    const attempts = job.attempts + (lost ? 0 : 1);
    const { resendRetry, resendFreq } = this.options;
    if (resendRetry >= 0 && attempts > resendRetry) {
      this.options.events.failed({ ...job, attempts }, { ...(result.status === undefined ? {} : { status: result.status }), reason: `${result.reason} (gave up after ${attempts} tries)`, link });
      return;
    }
    const delay = lost ? 0 : Math.min(2 ** (attempts - 1), resendFreq) * 1000;
    this.#place([{ ...job, attempts }], delay === 0 ? 0 : this.#now() + delay);
  }

  #stateChanged(link: DispatcherLink, state: string): void {
    if (state === 'bound') {
      this.#retryWaiting();
      this.#pump(link);
    } else {
      this.#reroute(link);
    }
  }

  #healthChanged(link: DispatcherLink, state: string, why: string): void {
    const level = state === 'in' ? 'info' : 'warn';
    this.options.log[level](`link ${link.settings.name}: ${state === 'in' ? 'back in rotation' : state === 'out' ? 'out of rotation' : 'probing'}: ${why}`);
    if (state === 'out') this.#reroute(link);
    if (state === 'in') this.#retryWaiting();
    // probing starts inside a routing decision (health.admits() in #route): placing the waiting
    // parts from in here would put one on the link before that decision puts its own there too
    if (state === 'probing') queueMicrotask(() => this.#retryWaiting());
  }

  /** Takes a link's queue back to routing, message by message. */
  #reroute(link: DispatcherLink): void {
    const jobs = link.queue.splice(0);
    const byMessage = new Map<string, PartJob[]>();
    for (const job of jobs) byMessage.set(job.message.id, [...(byMessage.get(job.message.id) ?? []), job]);
    for (const group of byMessage.values()) this.#place(group);
  }

  #retryWaiting(): void {
    const now = this.#now();
    const due = this.waiting.filter((entry) => entry.notBefore <= now);
    if (due.length === 0) return;
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((entry) => entry.notBefore > now));
    for (const entry of due) this.#place(entry.jobs);
  }
}
