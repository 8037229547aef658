/**
 * The message store: every accepted message, every part the upstream acknowledged or refused,
 * the delivery receipts still awaited and the DLR URLs still to fetch, as records in the
 * journal (journal.ts). Replaying the journal after a crash gives back exactly the work that
 * is not done: parts neither acknowledged nor refused are sent (again), and nothing the
 * upstream acknowledged is.
 *
 * Durability: an accepted message is fsync'd before sendsms answers 202. Acknowledgements,
 * refusals and receipts are written at once (a kill -9 cannot lose them) and fsync'd with the
 * next group commit; a power cut in between can at worst send a part twice, which SMPP's
 * at-least-once delivery allows.
 */
import { Journal } from './journal.js';
import type { Log } from '../../service-log.js';

/** A message as accepted: one recipient, already split and encoded. */
export interface StoredMessage {
  id: string;
  /** The sendsms-user's username and name. */
  user: string;
  userName?: string;
  /** The smsc-id it is routed by (request, forced or default). */
  smscId?: string;
  from: string;
  to: string;
  dataCoding: number;
  esmClass: number;
  /** Each part's short_message, base64. */
  parts: string[];
  dlrMask: number;
  dlrUrl?: string;
  /** What DLR URL escapes may show: the text as the client sent it (decoded), its coding, charset and udh (hex). */
  text: string;
  coding: number;
  charset?: string;
  udh?: string;
  /** sendsms's pid, priority, validity and deferred (minutes from acceptance). */
  protocolId?: number;
  priority?: number;
  validityMinutes?: number;
  deferredMinutes?: number;
  acceptedAt: number;
}

/** A submitted part waiting for its delivery receipt. */
export interface ReceiptWait {
  /** The SMSC's message id as its receipts will carry it (normalised). */
  key: string;
  messageId: string;
  part: number;
  link: string;
  smscMessageId: string;
  submittedAt: number;
  message: Omit<StoredMessage, 'parts'>;
}

/** A DLR URL to fetch. */
export interface PendingPost {
  key: string;
  url: string;
  createdAt: number;
}

export type StoreRecord =
  | { t: 'accept'; m: StoredMessage }
  | { t: 'sent'; id: string; p: number; link: string; mid: string; at: number }
  | { t: 'failed'; id: string; p: number; status?: number; reason: string; at: number }
  | { t: 'wait'; w: ReceiptWait }
  | { t: 'receipt'; key: string }
  | { t: 'post'; post: PendingPost }
  | { t: 'posted'; key: string };

/** What became of each part of a message so far. */
export type PartOutcome = { kind: 'sent'; link: string; mid: string; at: number } | { kind: 'failed'; status?: number; reason: string; at: number };

/** What recording a part's outcome led to. */
export interface OutcomeEffect {
  wait?: ReceiptWait;
  /** Set when this was the message's last part. */
  completed?: PartOutcome[];
}

export interface OpenMessage {
  message: StoredMessage;
  outcomes: (PartOutcome | undefined)[];
}

/** How receipts are keyed: set by the relay (the SMSC's id, normalised per link). */
export type ReceiptKey = (link: string, smscMessageId: string) => string;

export class MessageStore {
  readonly open = new Map<string, OpenMessage>();
  readonly waits = new Map<string, ReceiptWait>();
  readonly posts = new Map<string, PendingPost>();

  private constructor(
    private readonly journal: Journal<StoreRecord>,
    private readonly options: { keyOf: ReceiptKey; wantsReceipt: (message: StoredMessage, part: number) => boolean; compactAt: number },
  ) {}

  /** Opens the store and replays it. */
  static async load(options: { path: string; keyOf: ReceiptKey; wantsReceipt: (message: StoredMessage, part: number) => boolean; log: Log; sync?: boolean; compactAt?: number }): Promise<MessageStore> {
    const { journal, records, repaired } = await Journal.open<StoreRecord>({ path: options.path, sync: options.sync ?? true });
    if (repaired) options.log.warn(`${options.path}: dropped a torn last record (${repaired.droppedBytes} bytes) left by a crash`);
    const store = new MessageStore(journal, { keyOf: options.keyOf, wantsReceipt: options.wantsReceipt, compactAt: options.compactAt ?? 16 * 1024 * 1024 });
    for (const record of records) store.#apply(record);
    return store;
  }

  /** Records an accepted message; resolves once it is on disk. */
  async accept(message: StoredMessage): Promise<void> {
    await this.journal.appendDurable({ t: 'accept', m: message });
    this.#apply({ t: 'accept', m: message });
  }

  /** The upstream acknowledged a part: the receipt wait it opens, and every part's outcome once the message is complete. */
  sent(id: string, part: number, link: string, mid: string, now: number): OutcomeEffect {
    return this.#record({ t: 'sent', id, p: part, link, mid, at: now });
  }

  /** A part failed for good: every part's outcome once the message is complete. */
  failed(id: string, part: number, failure: { status?: number; reason: string }, now: number): OutcomeEffect {
    return this.#record({ t: 'failed', id, p: part, ...(failure.status === undefined ? {} : { status: failure.status }), reason: failure.reason, at: now });
  }

  /** A final receipt came: the wait is over. */
  receiptDone(key: string): void {
    this.#record({ t: 'receipt', key });
  }

  /** A DLR URL to fetch, kept until it is fetched. */
  addPost(post: PendingPost): void {
    this.#record({ t: 'post', post });
  }

  posted(key: string): void {
    this.#record({ t: 'posted', key });
  }

  /** Drops receipt waits older than the cutoff (epoch ms); returns their keys. */
  expireWaits(cutoff: number): string[] {
    const expired = [...this.waits.values()].filter((wait) => wait.submittedAt < cutoff);
    for (const wait of expired) this.#record({ t: 'receipt', key: wait.key });
    return expired.map((wait) => wait.key);
  }

  /** Bytes in the journal. */
  get size(): number {
    return this.journal.size;
  }

  /** Rewrites the journal with only what is still live, once it has grown past the threshold. */
  async compactIfLarge(): Promise<boolean> {
    if (this.journal.size < this.options.compactAt) return false;
    await this.journal.compact(this.liveRecords());
    return true;
  }

  /** The records that rebuild the present state. */
  liveRecords(): StoreRecord[] {
    const records: StoreRecord[] = [];
    for (const { message, outcomes } of this.open.values()) {
      records.push({ t: 'accept', m: message });
      outcomes.forEach((outcome, p) => {
        if (outcome?.kind === 'sent') {
          records.push({ t: 'sent', id: message.id, p, link: outcome.link, mid: outcome.mid, at: outcome.at });
          // replaying 'sent' opens the part's wait again: close it when its receipt came or it expired
          const key = this.options.keyOf(outcome.link, outcome.mid);
          if (this.options.wantsReceipt(message, p) && outcome.mid !== '' && !this.waits.has(key)) records.push({ t: 'receipt', key });
        }
        if (outcome?.kind === 'failed') records.push({ t: 'failed', id: message.id, p, ...(outcome.status === undefined ? {} : { status: outcome.status }), reason: outcome.reason, at: outcome.at });
      });
    }
    const openIds = new Set(this.open.keys());
    for (const wait of this.waits.values()) if (!openIds.has(wait.messageId)) records.push({ t: 'wait', w: wait });
    for (const post of this.posts.values()) records.push({ t: 'post', post });
    return records;
  }

  async flush(): Promise<void> {
    await this.journal.flush();
  }

  async close(): Promise<void> {
    await this.journal.close();
  }

  #record(record: StoreRecord): OutcomeEffect {
    this.journal.append(record);
    return this.#apply(record);
  }

  /** Applies one record to the state; the same code serves replay and live operation. */
  #apply(record: StoreRecord): OutcomeEffect {
    switch (record.t) {
      case 'accept':
        this.open.set(record.m.id, { message: record.m, outcomes: record.m.parts.map(() => undefined) });
        break;
      case 'sent':
      case 'failed':
        return this.#applyOutcome(record);
      case 'wait':
        this.waits.set(record.w.key, record.w);
        break;
      case 'receipt':
        this.waits.delete(record.key);
        break;
      case 'post':
        this.posts.set(record.post.key, record.post);
        break;
      case 'posted':
        this.posts.delete(record.key);
        break;
    }
    return {};
  }

  #applyOutcome(record: Extract<StoreRecord, { t: 'sent' | 'failed' }>): OutcomeEffect {
    const entry = this.open.get(record.id);
    if (!entry) return {};
    let wait: ReceiptWait | undefined;
    if (record.t === 'sent') {
      entry.outcomes[record.p] = { kind: 'sent', link: record.link, mid: record.mid, at: record.at };
      if (this.options.wantsReceipt(entry.message, record.p) && record.mid !== '') {
        const { parts: _parts, ...message } = entry.message;
        const key = this.options.keyOf(record.link, record.mid);
        wait = { key, messageId: record.id, part: record.p, link: record.link, smscMessageId: record.mid, submittedAt: record.at, message };
        this.waits.set(key, wait);
      }
    } else {
      entry.outcomes[record.p] = { kind: 'failed', ...(record.status === undefined ? {} : { status: record.status }), reason: record.reason, at: record.at };
    }
    const complete = entry.outcomes.every((outcome) => outcome !== undefined);
    if (complete) this.open.delete(record.id);
    return { ...(wait ? { wait } : {}), ...(complete ? { completed: entry.outcomes as PartOutcome[] } : {}) };
  }
}
