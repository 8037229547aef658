/**
 * A hostile SMSC for fuzzing a link: a raw TCP server on loopback (not the `smpp` package's
 * server, which would refuse to say the wrong things) that binds anyone, then answers each
 * submit_sm as a script says: an ack, another status, or bytes no SMSC should send (impossible
 * lengths, truncated bodies, unknown commands, answers to sequences never sent, garbage). It
 * records what the relay submitted, which acks it sent on a connection whose framing it had
 * not broken yet (the relay must have read those), and where it broke the framing.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import { keepRawOctets, rawOctets } from '../../../../overlays/smpp-relay/app/smpp-pdu.js';

/** What the SMSC does with one submit_sm. */
export type HostileAction =
  | { kind: 'ack' }
  | { kind: 'status'; status: number }
  /** A well-framed PDU the relay must cope with (unknown command, a response for no request...), then an ack. */
  | { kind: 'odd'; octets: Buffer }
  /** Bytes that may break the framing, instead of an answer. */
  | { kind: 'break'; octets: Buffer; impossibleLength: boolean };

export interface HostileSession {
  id: number;
  /** Set once bytes that may break the framing were sent: later acks may never be read. */
  broken: boolean;
  /** The first break was a command_length under 16 or over 7424, at a PDU boundary. */
  brokenByLength: boolean;
  closed: boolean;
}

export interface HostileSubmit {
  session: number;
  sequence: number;
  text: string;
  /** Acked on a connection whose framing was intact: the relay has read that ack. */
  cleanAck: boolean;
}

export interface HostileSmsc {
  port: number;
  sessions: HostileSession[];
  submits: HostileSubmit[];
  close(): Promise<void>;
}

/** Encodes a PDU the way an SMSC would send it. */
export function encodePdu(command: string, params: Record<string, unknown> = {}): Buffer {
  return new smpp.PDU(command, params).toBuffer();
}

/** Starts the SMSC; `actions` are used one per submit_sm, in order, across connections; then every submit_sm is acked. */
export async function startHostileSmsc(actions: readonly HostileAction[]): Promise<HostileSmsc> {
  keepRawOctets();
  const state = { sessions: [] as HostileSession[], submits: [] as HostileSubmit[], next: 0, messageId: 1000 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const session: HostileSession = { id: state.sessions.length + 1, broken: false, brokenByLength: false, closed: false };
    state.sessions.push(session);
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      session.closed = true;
      sockets.delete(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 16 && pending.length >= pending.readUInt32BE(0)) {
        const length = pending.readUInt32BE(0);
        if (length < 16) return void socket.destroy(); // the relay never sends such: not this test's concern
        const octets = pending.subarray(0, length);
        pending = pending.subarray(length);
        answer(socket, session, new smpp.PDU(octets));
      }
    });
  });

  const write = (socket: Socket, octets: Buffer) => {
    if (!socket.destroyed) socket.write(octets);
  };

  function ack(socket: Socket, session: HostileSession, pdu: smpp.PDU, submit: HostileSubmit): void {
    state.messageId += 1;
    write(socket, encodePdu('submit_sm_resp', { sequence_number: pdu.sequence_number, message_id: String(state.messageId) }));
    submit.cleanAck = !session.broken;
  }

  function answer(socket: Socket, session: HostileSession, pdu: smpp.PDU): void {
    switch (pdu.command) {
      case 'bind_transmitter':
      case 'bind_transceiver':
        return write(socket, encodePdu(`${pdu.command}_resp`, { sequence_number: pdu.sequence_number, system_id: 'HOSTILE' }));
      case 'enquire_link':
        return write(socket, encodePdu('enquire_link_resp', { sequence_number: pdu.sequence_number }));
      case 'unbind':
        write(socket, encodePdu('unbind_resp', { sequence_number: pdu.sequence_number }));
        return void socket.end();
      case 'submit_sm':
        return submitted(socket, session, pdu);
      default:
        return undefined; // deliver_sm_resp, generic_nack for the garbage: nothing to say
    }
  }

  function submitted(socket: Socket, session: HostileSession, pdu: smpp.PDU): void {
    const text = (rawOctets(pdu, 'short_message') ?? Buffer.alloc(0)).toString('latin1');
    const submit: HostileSubmit = { session: session.id, sequence: pdu.sequence_number, text, cleanAck: false };
    state.submits.push(submit);
    const action = actions[state.next] ?? { kind: 'ack' };
    state.next += 1;
    if (action.kind === 'ack') return ack(socket, session, pdu, submit);
    if (action.kind === 'status') return write(socket, encodePdu('submit_sm_resp', { sequence_number: pdu.sequence_number, command_status: action.status }));
    if (action.kind === 'odd') {
      write(socket, action.octets);
      return ack(socket, session, pdu, submit);
    }
    if (!session.broken) session.brokenByLength = action.impossibleLength;
    session.broken = true;
    write(socket, action.octets);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sessions: state.sessions,
    submits: state.submits,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
