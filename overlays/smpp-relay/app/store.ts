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
 * at-least-once delivery allows. When the journal cannot take them (a full disk, a failed
 * fsync), they are held in memory until it can, and no new message is accepted meanwhile
 * (store-writer.ts). Records read back are checked (store-record-check.ts); the journal
 * quarantines those that fail, with damaged lines.
 */
import { Journal, type JournalFileSystem, type Quarantined } from '../../runtime/journal.js';
import { storeRecordProblem } from './store-record-check.js';
import { StoreWriter, type StoreHealth } from './store-writer.js';
import type { Log } from '../../runtime/service-log.js';

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

/** How to open the store. */
export interface StoreOptions {
  path: string;
  keyOf: ReceiptKey;
  wantsReceipt: (message: StoredMessage, part: number) => boolean;
  log: Log;
  /** false only for tests and benchmarks (journal.ts). */
  sync?: boolean;
  /** Journal size (bytes) past which compactIfLarge() compacts; 16 MiB by default. */
  compactAt?: number;
  /** Replaces some of the journal's file system calls (tests). */
  fileSystem?: Partial<JournalFileSystem>;
  /** The store writer's first retry wait and its longest, in ms (tests). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** The store's state for /status: writable or not, and the damaged lines this start set aside. */
export interface StoreState extends StoreHealth {
  quarantined: number;
  quarantineFile?: string;
}

export class MessageStore {
  readonly open = new Map<string, OpenMessage>();
  readonly waits = new Map<string, ReceiptWait>();
  readonly posts = new Map<string, PendingPost>();
  readonly #writer: StoreWriter<StoreRecord>;
  #quarantined: { count: number; path: string } | undefined;

  private constructor(
    private readonly journal: Journal<StoreRecord>,
    private readonly options: StoreOptions & { compactAt: number },
  ) {
    this.#writer = new StoreWriter({ journal, path: options.path, liveRecords: () => this.liveRecords(), log: options.log, ...retryOf(options) });
  }

  /** Opens the store and replays it; JournalUnusableError when nothing can be read (journal.ts). */
  static async load(options: StoreOptions): Promise<MessageStore> {
    const { path, log } = options;
    const opened = await Journal.open<StoreRecord>({ path, sync: options.sync ?? true, check: storeRecordProblem, ...(options.fileSystem ? { fileSystem: options.fileSystem } : {}) });
    const { journal, records, repaired, quarantined } = opened;
    if (repaired) log.warn(`${path}: cut off a torn tail of ${repaired.droppedBytes} bytes at line ${repaired.line}, a write that a crash interrupted`);
    if (quarantined) logQuarantine(log, path, quarantined);
    const store = new MessageStore(journal, { ...options, compactAt: options.compactAt ?? 16 * 1024 * 1024 });
    if (quarantined) store.#quarantined = { count: quarantined.lines.length, path: quarantined.path };
    for (const record of records) store.#apply(record);
    return store;
  }

  /**
   * Records an accepted message; resolves once it is on disk. Rejects (and the message is not
   * in the store) while the store is degraded (StoreUnavailableError) or when the write fails.
   */
  async accept(message: StoredMessage): Promise<void> {
    const record: StoreRecord = { t: 'accept', m: message };
    this.#writer.append(record);
    // in memory before the fsync: a compaction that starts meanwhile replaces the file that
    // holds the record with the state, which must then hold it
    this.#apply(record);
    try {
      await this.#writer.sync();
    } catch (error) {
      // not accepted (503): not dispatched, and not in the state a broken journal is rebuilt from
      this.open.delete(message.id);
      throw error;
    }
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

  /** Whether the store can write, and what this start quarantined. */
  get state(): StoreState {
    return { ...this.#writer.health(), quarantined: this.#quarantined?.count ?? 0, ...(this.#quarantined ? { quarantineFile: this.#quarantined.path } : {}) };
  }

  /** Rewrites the journal with only what is still live, once it has grown past the threshold (not while degraded). */
  async compactIfLarge(): Promise<boolean> {
    if (this.journal.size < this.options.compactAt) return false;
    return this.#writer.compact();
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
    await this.#writer.sync();
  }

  async close(): Promise<void> {
    await this.#writer.close();
  }

  /** Writes a record and makes its change: never throws, whatever the disk does (store-writer.ts). */
  #record(record: StoreRecord): OutcomeEffect {
    this.#writer.write(record);
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
    // a part the message does not have would leave a hole that every() skips, completing it early
    if (!entry || record.p >= entry.outcomes.length) return {};
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

function retryOf(options: StoreOptions): { retryMs?: number; maxRetryMs?: number } {
  return { ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }), ...(options.maxRetryMs === undefined ? {} : { maxRetryMs: options.maxRetryMs }) };
}

/** One line for what was set aside: how many, where, and the first few lines and reasons. */
function logQuarantine(log: Log, path: string, quarantined: Quarantined): void {
  const shown = quarantined.lines.slice(0, 5).map(({ line, reason }) => `line ${line}: ${reason}`).join('; ');
  const more = quarantined.lines.length > 5 ? `; and ${quarantined.lines.length - 5} more` : '';
  const what = `${quarantined.lines.length} damaged lines of ${path} (${shown}${more})`;
  if (quarantined.leftInJournal) log.error(`${what} are skipped but stay in the journal: ${quarantined.leftInJournal}; the next start tries again`);
  else log.warn(`${quarantined.lines.length} lines quarantined to ${quarantined.path}: ${what}; every other record is kept`);
}
