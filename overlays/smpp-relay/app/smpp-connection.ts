/**
 * One connection of a link, from connect to close: bind, the SMSC's requests answered
 * (enquire_link, unbind, deliver_sm; anything else generic_nack ESME_RINVCMDID as in Kannel's
 * handle_pdu), enquire_link and dead-link detection, unbind on stop. It reports to the link,
 * which keeps the window, the pacing and the reconnecting, and opens a new one each time.
 */
import smpp from 'smpp';
import { limitRepeats, type Log } from '../../runtime/service-log.js';
import { cOctetStringProblem } from './smpp-c-octet-strings.js';
import { bindParams, describeStatus, toDeliverSm } from './smpp-pdu.js';
import { connectOptions, describeError, endSession, Liveness, livenessLimits, type TlsFiles } from './smpp-session.js';
import type { DeliverSm, LinkSettings } from './types.js';

/** What a connection tells its link. After lost(), or after close(), it says nothing more. */
export interface ConnectionHandlers {
  bound(): void;
  /** A submit_sm_resp, or a generic_nack that is not about the bind. */
  response(sequence: number, status: number, messageId: unknown): void;
  deliver(deliver: DeliverSm): void;
  /** The connection is over (refused, dropped, dead, unbound by the SMSC); the link decides what next. */
  lost(reason: string): void;
}

export interface ConnectionOptions {
  log: Log;
  now: () => number;
  tls?: TlsFiles;
  handlers: ConnectionHandlers;
}

/** One TCP/TLS connection and its bind. */
export class SmppConnection {
  private readonly session: smpp.Session;
  private readonly liveness: Liveness;
  private readonly watchdog: NodeJS.Timeout;
  private readonly tag: string;
  /** For what the SMSC can send once a PDU: unexpected or unhandled PDUs, errors handling one. */
  private readonly oddities: Log;
  private bindSequence = 0;
  private isBound = false;
  private closed: Promise<void> | undefined;
  private unbindAnswered: (() => void) | undefined;

  constructor(private readonly settings: LinkSettings, private readonly options: ConnectionOptions) {
    this.tag = `SMPP[${settings.name}]`;
    this.oddities = limitRepeats(options.log, `${this.tag} odd PDUs`);
    this.session = smpp.connect(connectOptions(settings, options.tls));
    this.liveness = new Liveness(livenessLimits(settings), options.now);
    this.session.on(settings.tls ? 'secureConnect' : 'connect', () => this.bind());
    this.session.on('pdu', (pdu: smpp.PDU) => this.receive(pdu));
    // socket errors and the package's parse errors alike ('PDU length was too large': the session
    // reads nothing more after one: overlays/smpp-relay/README.md) end the connection; the 'close' after is ignored
    this.session.on('error', (error: Error) => this.lose(describeError(error, settings), 'destroy'));
    this.session.on('close', () => this.lose('the connection closed', 'destroy'));
    this.watchdog = setInterval(() => this.check(), this.liveness.tickMs());
  }

  /**
   * Writes a PDU (giving it a sequence number); false when the connection cannot take it, or
   * when a C-Octet String of it would corrupt the stream (logged; submits are checked before).
   */
  send(pdu: smpp.PDU): boolean {
    const refused = cOctetStringProblem(pdu.command, pdu);
    if (refused) {
      this.options.log.error(`${this.tag}: ${pdu.command} not sent: its ${refused.field} ${refused.problem}`);
      return false;
    }
    return this.closed === undefined && this.session.send(pdu);
  }

  /** Sends unbind and waits for unbind_resp, at most waitMs; responses keep arriving meanwhile. */
  unbind(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.unbindAnswered?.(), waitMs);
      this.unbindAnswered = () => {
        clearTimeout(timer);
        this.unbindAnswered = undefined;
        resolve();
      };
      if (!this.send(new smpp.PDU('unbind'))) this.unbindAnswered();
    });
  }

  /** Closes without reporting lost(); resolves when the socket is closed. */
  close(how: 'end' | 'destroy'): Promise<void> {
    if (this.closed) return this.closed;
    clearInterval(this.watchdog);
    this.unbindAnswered?.();
    this.closed = endSession(this.session, how);
    return this.closed;
  }

  private lose(reason: string, how: 'end' | 'destroy'): void {
    if (this.closed) return;
    void this.close(how);
    this.options.handlers.lost(reason);
  }

  private bind(): void {
    // without, Nagle holds each submit_sm back until the previous one is acknowledged: a window of one
    this.session.socket.setNoDelay(true);
    this.session.socket.setKeepAlive(true, 30_000);
    const { cut, ...params } = bindParams(this.settings);
    if (cut.length > 0) this.options.log.warn(`${this.tag}: ${cut.join(', ')} longer than SMPP 3.4's bind allows: sent cut to fit, as Kannel does`);
    const pdu = new smpp.PDU(this.settings.transceiver ? 'bind_transceiver' : 'bind_transmitter', params);
    if (!this.send(pdu)) return this.lose('the bind could not be sent', 'destroy');
    this.bindSequence = pdu.sequence_number;
  }

  private check(): void {
    const action = this.liveness.check();
    if (action.kind === 'enquire') {
      this.send(new smpp.PDU('enquire_link'));
      this.liveness.enquired();
    } else if (action.kind === 'dead') {
      this.lose(action.reason, 'destroy');
    }
  }

  private receive(pdu: smpp.PDU): void {
    if (this.closed) return;
    this.liveness.heard();
    try {
      this.dispatch(pdu);
    } catch (error) {
      // a throw would escape the package's read loop with it marked busy: nothing more would be read
      this.oddities.error(`${this.tag}: error handling ${pdu.command} (sequence ${pdu.sequence_number}): ${(error as Error).stack ?? String(error)}`);
    }
  }

  private dispatch(pdu: smpp.PDU): void {
    switch (pdu.command) {
      case 'bind_transmitter_resp':
      case 'bind_transceiver_resp':
        return this.onBindResponse(pdu);
      case 'submit_sm_resp':
        return this.options.handlers.response(pdu.sequence_number, pdu.command_status, pdu.message_id);
      case 'generic_nack':
        return this.onGenericNack(pdu);
      case 'deliver_sm':
        this.send(pdu.response());
        return this.options.handlers.deliver(toDeliverSm(this.settings.name, pdu));
      case 'enquire_link':
        this.send(pdu.response());
        return;
      case 'enquire_link_resp':
        return;
      case 'unbind':
        this.send(pdu.response());
        return this.lose('the SMSC unbound', 'end');
      case 'unbind_resp':
        this.unbindAnswered?.();
        return;
      default:
        return this.onUnexpected(pdu);
    }
  }

  private onBindResponse(pdu: smpp.PDU): void {
    if (this.isBound || pdu.sequence_number !== this.bindSequence) {
      this.oddities.warn(`${this.tag}: unexpected ${pdu.command} (sequence ${pdu.sequence_number}), ignored`);
      return;
    }
    const status = pdu.command_status;
    // Kannel takes "already bound" as bound too
    if (status !== 0 && status !== smpp.errors.ESME_RALYBND) return this.lose(`bind refused: ${describeStatus(status)}`, 'end');
    this.isBound = true;
    this.liveness.bindDone();
    const mode = this.settings.transceiver ? 'transceiver' : 'transmitter';
    this.options.log.info(`${this.tag}: bound to ${this.settings.host}:${this.settings.port} as ${this.settings.systemId} (${mode})`);
    this.options.handlers.bound();
  }

  private onGenericNack(pdu: smpp.PDU): void {
    if (!this.isBound && pdu.sequence_number === this.bindSequence) {
      return this.lose(`the SMSC answered the bind with generic_nack ${describeStatus(pdu.command_status)}`, 'end');
    }
    // a generic_nack without a status says nothing useful; as a submit's answer it means "not understood"
    this.options.handlers.response(pdu.sequence_number, pdu.command_status || smpp.errors.ESME_RUNKNOWNERR, undefined);
  }

  private onUnexpected(pdu: smpp.PDU): void {
    if (pdu.isResponse()) {
      this.oddities.warn(`${this.tag}: unexpected ${pdu.command} (sequence ${pdu.sequence_number}), ignored`);
      return;
    }
    const id = `0x${pdu.command_id.toString(16).padStart(8, '0')}`;
    this.oddities.warn(`${this.tag}: ${pdu.command} (${id}) not handled: answered generic_nack ESME_RINVCMDID`);
    this.send(new smpp.PDU('generic_nack', { command_status: smpp.errors.ESME_RINVCMDID, sequence_number: pdu.sequence_number }));
  }
}
