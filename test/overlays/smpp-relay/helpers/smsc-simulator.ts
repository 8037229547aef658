/**
 * The tests' SMSC: the `smpp` package's server on loopback, TCP or TLS. It authenticates binds
 * against its accounts, answers submit_sm as the test tells it (ok with an id, a status,
 * throttled, late, never), sends delivery receipts on receiver-capable binds, can drop every
 * connection or go silent, and records what it received: every PDU, every bind, every submit_sm
 * with its raw octets, and the most submits each session had unanswered at once.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import { keepRawOctets, rawOctets } from '../../../../overlays/smpp-relay/app/smpp-pdu.js';

export interface SimulatorAccount {
  systemId: string;
  password: string;
}

export type BindType = 'transmitter' | 'transceiver' | 'receiver';

/** How the simulator answers, for one account or for all. */
export interface Behaviour {
  /** The status every submit_sm gets (0, the default: ok with a message id). */
  status: number;
  messageIds: 'decimal' | 'hex' | 'uuid' | 'none';
  /** Every Nth submit_sm of the account is answered ESME_RTHROTTLED; 0 never. */
  throttleEvery: number;
  /** The next N submit_sm are answered ESME_RTHROTTLED. */
  throttleNext: number;
  /** submit_sm is never answered. */
  drop: boolean;
  /** Nothing is answered at all (enquire_link and binds too); connections stay open. */
  silent: boolean;
  /** Answers to submit_sm come this late. */
  delayMs: number;
  /** Answers to submit_sm wait until releaseHeld() (a test that changes the relay's world before they come). */
  hold: boolean;
  /** A delivery receipt follows an accepted submit_sm with registered_delivery, on transceiver and receiver binds. */
  receipts: boolean;
  /** Receipts carry receipted_message_id and message_state TLVs too. */
  receiptTlvs: boolean;
  receiptStat: string;
}

const DEFAULTS: Behaviour = {
  status: 0, messageIds: 'decimal', throttleEvery: 0, throttleNext: 0, drop: false, silent: false, delayMs: 0, hold: false,
  receipts: true, receiptTlvs: false, receiptStat: 'DELIVRD',
};

export interface RecordedSubmit {
  account: string;
  sessionId: number;
  bindType: BindType;
  at: number;
  sourceAddr: string;
  destinationAddr: string;
  dataCoding: number;
  esmClass: number;
  shortMessage: Buffer;
  registeredDelivery: number;
  /** The status answered; undefined while (or if never) answered. */
  status?: number;
  /** The message id answered with status 0. */
  messageId?: string;
}

export interface RecordedBind {
  sessionId: number;
  bindType: BindType;
  systemId: string;
  password: string;
  systemType: string;
  addressRange: string;
  interfaceVersion: number;
  status: number;
}

export interface RecordedPdu {
  sessionId: number;
  command: string;
  status: number;
  sequence: number;
  at: number;
}

/** One client connection. */
export interface SimulatedSession {
  id: number;
  open: boolean;
  account?: string;
  bindType?: BindType;
  /** submit_sm received and not answered yet, now and at most. */
  outstanding: number;
  maxOutstanding: number;
  session: smpp.Session;
}

export interface SimulatorOptions {
  accounts: SimulatorAccount[];
  tls?: { key: string | Buffer; cert: string | Buffer };
  behaviour?: Partial<Behaviour>;
  /** A port fixed in advance (a config built before the simulator starts); default: a free one. */
  port?: number;
}

export interface SmscSimulator {
  port: number;
  submits: RecordedSubmit[];
  binds: RecordedBind[];
  pdus: RecordedPdu[];
  sessions: SimulatedSession[];
  /** Changes how the simulator answers, for one account or (without one) for all. */
  behave(change: Partial<Behaviour>, account?: string): void;
  /** Binds in the next ms are refused with this status (ESME_RBINDFAIL by default). */
  refuseBinds(ms: number, status?: number): void;
  /** Drops every connection now, answered or not. */
  disconnectAll(): void;
  /** Sends the answers held back while `hold` was set, in the order the submits came. */
  releaseHeld(): void;
  /** Sends a PDU to every bound session. */
  sendToBound(command: string, params?: Record<string, unknown>): void;
  /** Writes octets as they are to every open session (malformed PDUs). */
  sendRaw(octets: Buffer): void;
  /** The most submit_sm any session (or the given one) had unanswered at once. */
  maxOutstanding(sessionId?: number): number;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts an SMSC on 127.0.0.1, on a free port. */
export async function startSimulator(options: SimulatorOptions): Promise<SmscSimulator> {
  keepRawOctets();
  const sim = new Simulator(options);
  await sim.listen();
  return sim;
}

class Simulator implements SmscSimulator {
  port = 0;
  readonly submits: RecordedSubmit[] = [];
  readonly binds: RecordedBind[] = [];
  readonly pdus: RecordedPdu[] = [];
  readonly sessions: SimulatedSession[] = [];
  private readonly server: smpp.Server;
  private readonly everyone: Behaviour;
  private readonly perAccount = new Map<string, Partial<Behaviour>>();
  private readonly counts = new Map<string, number>();
  private refusing = { until: 0, status: 0 };
  private held: (() => void)[] = [];
  private nextId = 1_000_000;

  constructor(private readonly options: SimulatorOptions) {
    this.everyone = { ...DEFAULTS, ...options.behaviour };
    this.server = smpp.createServer(options.tls ?? {}, (session) => this.accept(session));
    this.server.on('error', () => {});
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.options.port ?? 0, '127.0.0.1', () => {
      this.port = (this.server.address() as AddressInfo).port;
      resolve();
    }));
  }

  behave(change: Partial<Behaviour>, account?: string): void {
    if (account === undefined) Object.assign(this.everyone, change);
    else this.perAccount.set(account, { ...this.perAccount.get(account), ...change });
  }

  refuseBinds(ms: number, status: number = smpp.errors.ESME_RBINDFAIL): void {
    this.refusing = { until: Date.now() + ms, status };
  }

  disconnectAll(): void {
    for (const s of this.sessions) if (s.open) s.session.destroy();
  }

  releaseHeld(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  sendToBound(command: string, params: Record<string, unknown> = {}): void {
    for (const s of this.sessions) if (s.open && s.bindType) s.session.send(new smpp.PDU(command, params));
  }

  sendRaw(octets: Buffer): void {
    for (const s of this.sessions) if (s.open) s.session.socket.write(octets);
  }

  maxOutstanding(sessionId?: number): number {
    return Math.max(0, ...this.sessions.filter((s) => sessionId === undefined || s.id === sessionId).map((s) => s.maxOutstanding));
  }

  async waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`the simulator waited ${timeoutMs} ms in vain`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    this.disconnectAll();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private behaviourOf(account: string | undefined): Behaviour {
    return { ...this.everyone, ...(account === undefined ? {} : this.perAccount.get(account)) };
  }

  private accept(session: smpp.Session): void {
    const s: SimulatedSession = { id: this.sessions.length + 1, open: true, outstanding: 0, maxOutstanding: 0, session };
    this.sessions.push(s);
    session.socket.setNoDelay(true);
    session.on('error', () => {}); // clients that reset the connection are not the simulator's concern
    session.on('close', () => (s.open = false));
    session.on('pdu', (pdu: smpp.PDU) => this.receive(s, pdu));
  }

  private receive(s: SimulatedSession, pdu: smpp.PDU): void {
    this.pdus.push({ sessionId: s.id, command: pdu.command, status: pdu.command_status, sequence: pdu.sequence_number, at: Date.now() });
    if (this.behaviourOf(s.account).silent) return;
    switch (pdu.command) {
      case 'bind_transmitter':
      case 'bind_transceiver':
      case 'bind_receiver':
        return this.bind(s, pdu);
      case 'submit_sm':
        return this.submit(s, pdu);
      case 'enquire_link':
        s.session.send(pdu.response());
        return;
      case 'unbind':
        s.session.send(pdu.response());
        s.session.close();
        return;
      default:
        if (!pdu.isResponse()) s.session.send(pdu.response({ command_status: smpp.errors.ESME_RINVCMDID }));
    }
  }

  private bind(s: SimulatedSession, pdu: smpp.PDU): void {
    const systemId = String(pdu.system_id);
    const password = String(pdu.password);
    const account = this.options.accounts.find((a) => a.systemId === systemId);
    const status = Date.now() < this.refusing.until ? this.refusing.status
      : !account ? smpp.errors.ESME_RINVSYSID
      : account.password !== password ? smpp.errors.ESME_RINVPASWD
      : 0;
    const bindType = pdu.command.replace('bind_', '') as BindType;
    this.binds.push({
      sessionId: s.id, bindType, systemId, password, status,
      systemType: String(pdu.system_type), addressRange: String(pdu.address_range), interfaceVersion: Number(pdu.interface_version),
    });
    if (status === 0) Object.assign(s, { account: systemId, bindType });
    s.session.send(pdu.response(status === 0 ? { system_id: 'SIMSC' } : { command_status: status }));
  }

  private submit(s: SimulatedSession, pdu: smpp.PDU): void {
    if (!s.account || !s.bindType) {
      s.session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
      return;
    }
    const record: RecordedSubmit = {
      account: s.account, sessionId: s.id, bindType: s.bindType, at: Date.now(),
      sourceAddr: String(pdu.source_addr), destinationAddr: String(pdu.destination_addr),
      dataCoding: Number(pdu.data_coding), esmClass: Number(pdu.esm_class), registeredDelivery: Number(pdu.registered_delivery),
      shortMessage: rawOctets(pdu, 'short_message') ?? Buffer.alloc(0),
    };
    this.submits.push(record);
    s.outstanding += 1;
    s.maxOutstanding = Math.max(s.maxOutstanding, s.outstanding);
    const behaviour = this.behaviourOf(s.account);
    if (behaviour.drop) return;
    const status = this.statusFor(s.account, behaviour);
    const answer = () => this.answer(s, pdu, record, status);
    if (behaviour.hold) this.held.push(answer);
    else if (behaviour.delayMs > 0) setTimeout(answer, behaviour.delayMs);
    else answer();
  }

  private statusFor(account: string, behaviour: Behaviour): number {
    const count = (this.counts.get(account) ?? 0) + 1;
    this.counts.set(account, count);
    const throttled = smpp.errors.ESME_RTHROTTLED;
    if (behaviour.throttleNext > 0) {
      const scope = this.perAccount.get(account)?.throttleNext !== undefined ? this.perAccount.get(account)! : this.everyone;
      scope.throttleNext = behaviour.throttleNext - 1;
      return throttled;
    }
    if (behaviour.throttleEvery > 0 && count % behaviour.throttleEvery === 0) return throttled;
    return behaviour.status;
  }

  private answer(s: SimulatedSession, pdu: smpp.PDU, record: RecordedSubmit, status: number): void {
    if (!s.open) return;
    s.outstanding -= 1;
    record.status = status;
    if (status !== 0) {
      s.session.send(pdu.response({ command_status: status }));
      return;
    }
    const behaviour = this.behaviourOf(s.account);
    const messageId = this.messageId(behaviour.messageIds);
    record.messageId = messageId;
    s.session.send(pdu.response({ message_id: messageId }));
    if (behaviour.receipts && (record.registeredDelivery & 0x01) !== 0 && s.bindType !== 'transmitter') {
      s.session.send(new smpp.PDU('deliver_sm', receiptParams(record, messageId, behaviour)));
    }
  }

  private messageId(format: Behaviour['messageIds']): string {
    this.nextId += 1;
    if (format === 'hex') return this.nextId.toString(16);
    if (format === 'uuid') return randomUUID();
    return format === 'none' ? '' : String(this.nextId);
  }
}

/** SMPP 3.4 Appendix B's receipt text (what most SMSCs send), from the SMSC back to the sender. */
function receiptParams(submit: RecordedSubmit, messageId: string, behaviour: Behaviour): Record<string, unknown> {
  const date = smppDate(new Date(submit.at));
  const text = submit.shortMessage.subarray(0, 20).toString('latin1');
  const receipt = `id:${messageId} sub:001 dlvrd:001 submit date:${date} done date:${smppDate(new Date())} stat:${behaviour.receiptStat} err:000 text:${text}`;
  return {
    source_addr: submit.destinationAddr,
    destination_addr: submit.sourceAddr,
    esm_class: 0x04,
    data_coding: 0,
    short_message: Buffer.from(receipt, 'latin1'),
    ...(behaviour.receiptTlvs && { receipted_message_id: messageId, message_state: behaviour.receiptStat === 'DELIVRD' ? 2 : 5 }),
  };
}

/** YYMMDDhhmm, UTC. */
function smppDate(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(2, 12);
}
