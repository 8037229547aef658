/**
 * The part of the npm `smpp` package (0.5.1, farhadi/node-smpp, CommonJS, no types of its own)
 * that the relay and its tests use, typed as the code in lib/smpp.js, lib/pdu.js and lib/defs.js
 * behaves. Import it as `import smpp from 'smpp'` (module.exports is the namespace below).
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';
  import type { TLSSocket } from 'node:tls';

  namespace smpp {
    /**
     * A PDU. Decoded ones carry the header, the command's parameters and its TLVs as own
     * properties named as in the SMPP specification (`system_id`, `short_message`, ...); TLVs
     * the package does not know are keyed by their numeric tag, with the raw value as a Buffer.
     * The decode filter replaces `short_message` and `message_payload` with `{ udh?, message }`
     * objects whose text is already decoded by data_coding (see smpp-pdu.ts for the raw octets).
     */
    class PDU {
      /** Builds a PDU; parameters left out take the package's defaults (bind: interface_version 0x50!). */
      constructor(command: string, options?: Record<string, unknown>);
      /** Decodes one whole PDU; throws on a command_length over maxLength. */
      constructor(octets: Buffer);
      /** The command's name; `'unknown'` for a command_id the package does not know (its body is then not decoded). */
      command: string;
      command_length: number;
      command_id: number;
      command_status: number;
      /** 0 until Session.send gives it the next number (a non-zero one set by the caller is kept). */
      sequence_number: number;
      [field: string]: unknown;
      isResponse(): boolean;
      /** The response to this request (same sequence number); generic_nack ESME_RINVCMDID for an unknown command. */
      response(options?: Record<string, unknown>): PDU;
      /** Encodes the PDU; throws on values its types cannot hold (e.g. short_message over 255 octets). */
      toBuffer(): Buffer;
      /** The longest PDU the reader accepts (16384); a longer command_length stops the session (see Session 'error'). */
      static maxLength: number;
      /**
       * Reads a command_length off the stream: false while 4 octets are not there yet; throws
       * over maxLength. A session calls it through the class, so replacing it applies to all.
       */
      static commandLength: (stream: { read(size: number): Buffer | null }) => number | false;
    }

    /**
     * One SMPP connection, client or server side. Events: 'connect' / 'secureConnect' (client),
     * 'pdu' and the command's name for every PDU read, 'unknown' for unknown commands, 'send',
     * 'close', and 'error' — socket errors and PDU parse errors alike; after a parse error the
     * session reads nothing more. Without an 'error' listener an error kills the process.
     */
    class Session extends EventEmitter {
      socket: Socket | TLSSocket;
      /** Set on server-side sessions. */
      server?: Server;
      /**
       * Writes a PDU; false (and nothing written, no sequence number given) when the socket is
       * not writable. The response callback is kept until a response with the same sequence
       * number arrives, forever otherwise: nothing ever fails it.
       */
      send(pdu: PDU, responseCallback?: (response: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
      pause(): void;
      resume(): void;
      /** Ends the socket (pending writes are flushed first). */
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
    }

    /** net/tls connect options, plus the package's own. */
    interface ConnectOptions {
      host: string;
      port: number;
      /** tls.connect instead of net.connect; note the package sets no rejectUnauthorized: pass it. */
      tls?: boolean;
      /** Sends enquire_link this often (ms) and never checks the answer; the relay does not use it. */
      auto_enquire_link_period?: number;
      [option: string]: unknown;
    }

    /** The listening side: a net.Server (tls.Server when key and cert are given) that makes a Session per connection. */
    interface Server extends NetServer {
      /** The open sessions. */
      sessions: Session[];
    }

    interface ServerOptions {
      key?: string | Buffer;
      cert?: string | Buffer;
      [option: string]: unknown;
    }

    /** A parameter's or TLV's value filter, applied by PDU.toBuffer (encode) and on decode. */
    interface Filter {
      encode(this: PDU, value: unknown): unknown;
      decode(this: PDU, value: unknown, skipUdh?: boolean): unknown;
    }

    interface FieldDefinition {
      /** One of `types` (types.cstring for C-Octet Strings). */
      type?: unknown;
      filter?: Filter;
    }

    interface CommandDefinition {
      id: number;
      params?: Record<string, FieldDefinition>;
    }

    interface TlvDefinition extends FieldDefinition {
      id: number;
      multiple?: boolean;
    }

    function connect(options: ConnectOptions, listener?: () => void): Session;
    function createServer(options: ServerOptions, listener?: (session: Session) => void): Server;

    /** Status names to values (`errors.ESME_RTHROTTLED === 0x58`); the ones the relay names, and all the others. */
    const errors: Readonly<Record<string, number>> & {
      readonly ESME_ROK: number;
      readonly ESME_RINVCMDID: number;
      readonly ESME_RINVBNDSTS: number;
      readonly ESME_RALYBND: number;
      readonly ESME_RSYSERR: number;
      readonly ESME_RINVDSTADR: number;
      readonly ESME_RINVSRCADR: number;
      readonly ESME_RINVMSGLEN: number;
      readonly ESME_RINVCMDLEN: number;
      readonly ESME_RINVSERTYP: number;
      readonly ESME_RINVSCHED: number;
      readonly ESME_RINVEXPIRY: number;
      readonly ESME_RBINDFAIL: number;
      readonly ESME_RINVPASWD: number;
      readonly ESME_RINVSYSID: number;
      readonly ESME_RMSGQFUL: number;
      readonly ESME_RTHROTTLED: number;
      readonly ESME_RX_T_APPN: number;
      readonly ESME_RUNKNOWNERR: number;
    };
    /** Commands by name; their params' filters are shared mutable state of the package. */
    const commands: Record<string, CommandDefinition>;
    /** TLVs by name. */
    const tlvs: Record<string, TlvDefinition>;
    /** The field types of `commands` (int8, cstring, buffer, ...), compared by identity. */
    const types: Readonly<Record<string, unknown>> & { readonly cstring: unknown };
  }

  export = smpp;
}
