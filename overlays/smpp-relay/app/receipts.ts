/**
 * Delivery reports, as Kannel makes them (gw/dlr.c, gw/bb_smscconn.c):
 * - the SMSC's ack or nack of a whole message (dlr-mask 8, 16) once every part is answered:
 *   "ACK/" when all were accepted, a NACK when any was refused (handle_split());
 * - the phone's receipt (1 delivered, 2 failed, 4 buffered, 0x22 expired), asked for on the
 *   first part only, as sms_split() does, so a long message gives one receipt, not one a part;
 * each posted to the message's dlr-url with Kannel's escapes (dlr-url.ts) when the mask asks.
 * Receipts match their message by the smsc-id of the link they come on and the SMSC's message
 * id; without `msg-id-type` a hex id in submit_sm_resp also finds its decimal twin in the
 * receipt (dlr.ts, messageIdKeys()). A receipt that comes before its submit_sm_resp is handled
 * (in the same read from the socket, or from an SMSC that sends it first) is held for ten
 * seconds and matched when the resp is; Kannel drops it.
 */
import { randomUUID } from 'node:crypto';
import { limitRepeats, type Log } from '../../runtime/service-log.js';
import type { PartJob } from './dispatcher.js';
import { ackText, DLR, dlrEndsWait, dlrWanted, messageIdKeys, nackText, parseReceipt, receiptDlrType, registeredDelivery, type Receipt } from './dlr.js';
import { expandDlrUrl, type DlrFields } from './dlr-url.js';
import type { MessageStore, PartOutcome, PendingPost, ReceiptWait, StoredMessage } from './store.js';
import type { DeliverSm, LinkSettings } from './types.js';

/** How long a receipt waits for its submit_sm_resp to be handled, and how many may wait. */
const EARLY_MS = 10_000;
const MAX_EARLY = 10_000;

interface EarlyReceipt {
  link: string;
  receipt: Receipt;
  until: number;
}

/** The message fields every DLR URL may show. */
function messageFields(message: Omit<StoredMessage, 'parts'>): Omit<DlrFields, 'type'> {
  return { messageId: message.id, from: message.from, to: message.to, service: message.userName ?? message.user, ...(message.smscId === undefined ? {} : { smscId: message.smscId }) };
}

export class Receipts {
  readonly counters = { received: 0, unmatched: 0, mo: 0 };
  /** Called for each DLR URL to fetch, after it is in the store. */
  onPost: (post: PendingPost) => void = () => undefined;
  #store: MessageStore | undefined;
  /** Every key a wait may be found by -> the wait's own key; and the other way round, to forget them. */
  readonly #aliases = new Map<string, string>();
  readonly #aliasesOf = new Map<string, string[]>();
  /** Receipts whose submit_sm_resp has not been handled yet, for a few seconds. */
  #early: EarlyReceipt[] = [];
  readonly #links: Map<string, LinkSettings>;

  constructor(private readonly options: { links: readonly LinkSettings[]; log: Log; now?: () => number }) {
    this.#links = new Map(options.links.map((link) => [link.name, link]));
  }

  /** Whether a part asks the SMSC for a receipt (and the store keeps a wait for it). */
  static wantsReceipt(message: StoredMessage, part = 0): boolean {
    return part === 0 && message.dlrUrl !== undefined && registeredDelivery(message.dlrMask) > 0;
  }

  /** A wait's own key: the smsc-id of the link and the id as the SMSC gave it. */
  readonly keyOf = (link: string, smscMessageId: string): string => `${this.#links.get(link)?.smscId ?? link}\u0000${smscMessageId}`;

  /** Uses this store, and indexes the waits it replayed. */
  attach(store: MessageStore): void {
    this.#store = store;
    for (const wait of store.waits.values()) this.#index(wait);
  }

  /** A part was acknowledged. */
  sent(job: PartJob, link: LinkSettings, smscMessageId: string): void {
    const effect = this.#requireStore().sent(job.message.id, job.part, link.name, smscMessageId, this.#now());
    if (effect.wait) this.#index(effect.wait);
    if (effect.completed) this.#reportSmscAnswer(job.message, effect.completed, link.smscId);
  }

  /** A part failed for good. */
  failed(job: PartJob, failure: { status?: number; reason: string; link?: { settings: LinkSettings } }): void {
    const effect = this.#requireStore().failed(job.message.id, job.part, failure, this.#now());
    if (effect.completed) this.#reportSmscAnswer(job.message, effect.completed, failure.link?.settings.smscId ?? job.message.smscId);
  }

  /** A deliver_sm from a link: a receipt to match, or a message from a phone (not relayed). */
  deliver(deliver: DeliverSm): void {
    const receipt = parseReceipt(deliver);
    if (!receipt) {
      this.counters.mo += 1;
      limitRepeats(this.options.log, 'phone-originated messages').warn(`link ${deliver.link}: a message from ${deliver.sourceAddr} to ${deliver.destinationAddr} was received; the relay does not deliver phone-originated messages`);
      return;
    }
    this.counters.received += 1;
    this.#dropLate();
    const early = { link: deliver.link, receipt, until: this.#now() + EARLY_MS };
    if (!this.#match(early) && this.#early.length < MAX_EARLY) this.#early.push(early);
  }

  /** Receipt waits submitted before the cutoff (epoch ms) end unanswered; so do receipts held too long for their message. */
  expire(cutoff: number): number {
    this.#dropLate();
    const keys = this.#requireStore().expireWaits(cutoff);
    for (const key of keys) this.#forget(key);
    return keys.length;
  }

  /** Handles a receipt if its wait is known; false when it is not (yet). */
  #match({ link: name, receipt }: EarlyReceipt): boolean {
    const link = this.#links.get(name);
    const wait = this.#find(link, receipt.id);
    if (!wait) return false;
    const type = receiptDlrType(receipt);
    const { message } = wait;
    if (dlrWanted(type, message.dlrMask)) {
      this.#post(message, { type, text: receipt.raw, smscMessageId: wait.smscMessageId, ...(link ? { smscId: link.smscId, account: link.systemId } : {}) });
    }
    if (dlrEndsWait(type, message.dlrMask)) {
      this.#requireStore().receiptDone(wait.key);
      this.#forget(wait.key);
    }
    return true;
  }

  /** Receipts held for a submit_sm_resp that never came are unmatched after all. */
  #dropLate(): void {
    const now = this.#now();
    for (const early of this.#early.filter((entry) => entry.until <= now)) {
      this.counters.unmatched += 1;
      limitRepeats(this.options.log, 'unmatched receipts').warn(`link ${early.link}: a receipt for SMSC message id ${early.receipt.id} matches no message awaiting one`);
    }
    this.#early = this.#early.filter((entry) => entry.until > now);
  }

  /**
   * Once every part is answered: the SMSC's ack, or its nack when any part was refused. As in
   * bb_smscconn_send_failed(), a nack also goes to a mask that asks for failed deliveries (2).
   */
  #reportSmscAnswer(message: StoredMessage, outcomes: readonly PartOutcome[], smscId: string | undefined): void {
    const refused = outcomes.find((outcome) => outcome.kind === 'failed');
    // DLR_SMSC_FAIL or DLR_IS_FAIL (gw/dlr.h): failed, expired (0x20) or unknown (0x40)
    const wanted = refused ? (message.dlrMask & (DLR.smscNack | DLR.failed | 0x20 | 0x40)) !== 0 : dlrWanted(DLR.smscAck, message.dlrMask);
    if (!wanted) return;
    // a split message's nack carries no reason, as handle_split() reports the whole message
    const reason = refused?.kind === 'failed' && outcomes.length === 1 ? (refused.status ?? refused.reason) : undefined;
    const text = refused ? nackText(reason) : ackText();
    this.#post(message, { type: refused ? DLR.smscNack : DLR.smscAck, text, ...(smscId === undefined ? {} : { smscId }) });
  }

  #post(message: Omit<StoredMessage, 'parts'>, fields: DlrFields): void {
    if (!message.dlrUrl) return;
    const url = expandDlrUrl(message.dlrUrl, { ...messageFields(message), ...fields, time: new Date(this.#now()) });
    const post: PendingPost = { key: randomUUID(), url, createdAt: this.#now() };
    this.#requireStore().addPost(post);
    this.onPost(post);
  }

  #index(wait: ReceiptWait): void {
    const link = this.#links.get(wait.link);
    const [exact, ...readings] = messageIdKeys(wait.smscMessageId, { from: 'submit_sm_resp', msgIdType: link?.msgIdType }).map((key) => this.keyOf(wait.link, key));
    // the id as it came is this wait's, even when an earlier id read as hex or decimal gave the same
    if (exact !== undefined) this.#aliases.set(exact, wait.key);
    const own = [exact, ...readings.filter((key) => !this.#aliases.has(key))].filter((key): key is string => key !== undefined);
    for (const key of own) this.#aliases.set(key, wait.key);
    this.#aliasesOf.set(wait.key, own);
    // a receipt that came before its submit_sm_resp was handled (same read, or an SMSC that sends it first)
    if (this.#early.length > 0) this.#early = this.#early.filter((early) => !this.#match(early));
  }

  /** Forgets an ended wait's lookup keys, so the table does not grow for as long as the relay runs. */
  #forget(waitKey: string): void {
    for (const key of this.#aliasesOf.get(waitKey) ?? []) if (this.#aliases.get(key) === waitKey) this.#aliases.delete(key);
    this.#aliasesOf.delete(waitKey);
  }

  #find(link: LinkSettings | undefined, id: string): ReceiptWait | undefined {
    if (!link) return undefined;
    const store = this.#requireStore();
    for (const key of messageIdKeys(id, { from: 'deliver_sm', msgIdType: link.msgIdType })) {
      const own = this.#aliases.get(this.keyOf(link.name, key));
      const wait = own === undefined ? undefined : store.waits.get(own);
      if (wait) return wait;
    }
    return undefined;
  }

  #requireStore(): MessageStore {
    if (!this.#store) throw new Error('Receipts used before attach()');
    return this.#store;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}
