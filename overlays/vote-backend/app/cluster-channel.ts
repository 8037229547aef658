/**
 * What the workers of one server ask their primary process over node:cluster's IPC channel
 * (process.send, JSON): whether a vote may be taken (the one Admission of the server, so that
 * its limits hold whichever worker a connection reached) and every worker's numbers (so that
 * /metrics and /healthz speak for the server, not for the worker that answered).
 *
 * Admission questions are sent in batches: every vote read in one turn of a worker's event
 * loop goes in one message (flushed by setImmediate), and the answer comes back in one.
 */
import type { Worker } from 'node:cluster';
import type { Admission, AdmissionRequest, Verdict } from './admission.js';
import { startingSnapshot, type MetricsSnapshot } from './metrics.js';

/** How a worker asks whether a vote may be taken. */
export interface AdmissionClient {
  admit(request: AdmissionRequest): Verdict | Promise<Verdict>;
  refund(request: AdmissionRequest): void;
}

/** The Admission in this process (one worker, no cluster). */
export class LocalAdmission implements AdmissionClient {
  constructor(private readonly admission: Admission, private readonly now: () => number = Date.now) {}

  admit(request: AdmissionRequest): Verdict {
    return this.admission.admit(request, this.now());
  }

  refund(request: AdmissionRequest): void {
    this.admission.refund(request);
  }
}

type ToPrimary =
  | { vote: 'admit'; batch: [number, AdmissionRequest][] }
  | { vote: 'refund'; batch: AdmissionRequest[] }
  | { vote: 'gather'; id: number }
  | { vote: 'snapshot'; id: number; snapshot: MetricsSnapshot };

type ToWorker =
  | { vote: 'admitted'; batch: [number, Verdict][] }
  | { vote: 'snapshot?'; id: number }
  | { vote: 'gathered'; id: number; snapshots: MetricsSnapshot[] };

const isMessage = (message: unknown): message is { vote: string } => typeof message === 'object' && message !== null && typeof (message as { vote?: unknown }).vote === 'string';

/** A worker's side: admission in batches, and the numbers of every worker. */
export class WorkerChannel implements AdmissionClient {
  #nextId = 1;
  #admits: [number, AdmissionRequest][] = [];
  #refunds: AdmissionRequest[] = [];
  #flushing = false;
  readonly #waiting = new Map<number, (value: never) => void>();

  /** `snapshot` gives undefined while the worker is still starting (reading its journal, adopting orphans): it answers a starting snapshot then. */
  constructor(private readonly snapshot: () => MetricsSnapshot | undefined, private readonly send: (message: ToPrimary) => void = (message) => process.send!(message)) {}

  /** Handles a message from the primary; returns false for one that is not this channel's. */
  receive(message: unknown): boolean {
    if (!isMessage(message)) return false;
    const known = message as ToWorker;
    if (known.vote === 'admitted') for (const [id, verdict] of known.batch) this.#settle(id, verdict);
    else if (known.vote === 'snapshot?') this.send({ vote: 'snapshot', id: known.id, snapshot: this.snapshot() ?? startingSnapshot() });
    else if (known.vote === 'gathered') this.#settle(known.id, known.snapshots);
    else return false;
    return true;
  }

  admit(request: AdmissionRequest): Promise<Verdict> {
    const id = this.#nextId++;
    this.#admits.push([id, request]);
    this.#scheduleFlush();
    return this.#wait(id);
  }

  refund(request: AdmissionRequest): void {
    this.#refunds.push(request);
    this.#scheduleFlush();
  }

  /** Every worker's snapshot, this one's included. */
  gather(): Promise<MetricsSnapshot[]> {
    const id = this.#nextId++;
    this.send({ vote: 'gather', id });
    return this.#wait(id);
  }

  #wait<T>(id: number): Promise<T> {
    return new Promise<T>((resolve) => this.#waiting.set(id, resolve as (value: never) => void));
  }

  #settle(id: number, value: unknown): void {
    const resolve = this.#waiting.get(id);
    this.#waiting.delete(id);
    resolve?.(value as never);
  }

  #scheduleFlush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => {
      this.#flushing = false;
      if (this.#admits.length > 0) this.send({ vote: 'admit', batch: this.#admits.splice(0) });
      if (this.#refunds.length > 0) this.send({ vote: 'refund', batch: this.#refunds.splice(0) });
    });
  }
}

/** A worker as the primary knows it: `started` once it listens (its journal read, it takes votes). */
export interface KnownWorker {
  worker: Worker;
  started: boolean;
}

/** The primary's side: answers admission from its Admission and gathers snapshots from every live worker. */
export class PrimaryChannel {
  #nextId = 1;
  readonly #gathering = new Map<number, { expected: number; snapshots: MetricsSnapshot[]; finish: () => void }>();

  constructor(private readonly admission: Admission, private readonly workers: () => KnownWorker[], private readonly now: () => number = Date.now) {}

  receive(worker: Worker, message: unknown): void {
    if (!isMessage(message)) return;
    const known = message as ToPrimary;
    if (known.vote === 'admit') {
      const now = this.now();
      worker.send({ vote: 'admitted', batch: known.batch.map(([id, request]) => [id, this.admission.admit(request, now)]) } satisfies ToWorker);
    } else if (known.vote === 'refund') {
      known.batch.forEach((request) => this.admission.refund(request));
    } else if (known.vote === 'gather') {
      this.#gather(worker, known.id);
    } else if (known.vote === 'snapshot') {
      const gathering = this.#gathering.get(known.id);
      gathering?.snapshots.push(known.snapshot);
      if (gathering && gathering.snapshots.length >= gathering.expected) gathering.finish();
    }
  }

  /**
   * Asks every live worker that has started; answers with what came within 2 s. A worker still
   * starting is counted as starting without being asked: reading a big journal holds its event
   * loop for seconds at a time, so it could not answer in time anyway.
   */
  #gather(asker: Worker, askerId: number): void {
    const id = this.#nextId++;
    const live = this.workers().filter(({ worker }) => worker.isConnected());
    const workers = live.filter(({ started }) => started).map(({ worker }) => worker);
    const starting = live.filter(({ started }) => !started).map(() => startingSnapshot());
    const timer = setTimeout(() => finish(), 2000);
    const finish = () => {
      clearTimeout(timer);
      const gathering = this.#gathering.get(id);
      this.#gathering.delete(id);
      if (gathering && asker.isConnected()) asker.send({ vote: 'gathered', id: askerId, snapshots: gathering.snapshots } satisfies ToWorker);
    };
    this.#gathering.set(id, { expected: workers.length + starting.length, snapshots: starting, finish });
    for (const worker of workers) worker.send({ vote: 'snapshot?', id } satisfies ToWorker);
    if (workers.length === 0) finish();
  }
}
