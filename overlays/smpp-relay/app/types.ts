/**
 * The relay's shared types: the settings read from kannel.conf (or rendered from
 * mcdebian.yaml into one), the SMS parts handed to an SMPP link, and what a link answers.
 * Kannel's meanings: overlays/smpp-relay/README.md, "Facts this overlay relies on".
 */

/** Where a setting came from, so a message can name the file and line. */
export interface Origin {
  file: string;
  line: number;
}

/** `group = core`: the bearerbox side. */
export interface CoreSettings {
  /** `admin-port`: the status endpoint's port. */
  adminPort: number;
  /** `admin-interface`: the address it listens on; all when absent. */
  adminInterface?: string;
  /** `admin-password`, `status-password`: either opens the status endpoint; none set: open. */
  adminPassword?: string;
  statusPassword?: string;
  /** `admin-allow-ip`, `admin-deny-ip`: Kannel's `;`-separated patterns for who may reach the status endpoint (as userAllowIp). */
  adminAllowIp?: string;
  adminDenyIp?: string;
  /** `store-location`: the message store (a directory, or a file whose directory is used). */
  storeLocation?: string;
  /** `sms-resend-freq` seconds (default 60): the longest wait before a temporarily failed part is tried again. */
  smsResendFreq: number;
  /** `sms-resend-retry` (default -1: forever): tries after a temporary failure before the part fails for good. */
  smsResendRetry: number;
  /** `sms-outgoing-queue-limit` (Kannel's default 1,000,000): parts waiting before sendsms answers 503. */
  smsOutgoingQueueLimit: number;
  /** `ssl-trusted-ca-file`: CAs that upstream TLS certificates must chain to; Node's bundled CAs when absent. */
  sslTrustedCaFile?: string;
  /** `ssl-client-certkey-file`: a PEM file with the client certificate and its key, for upstreams that ask. */
  sslClientCertkeyFile?: string;
  /** `dlr-expiry` hours (McDebian, default 72): how long a submitted part waits for its delivery receipt. */
  dlrExpiryHours: number;
}

/** `group = smsbox`: the HTTP side. */
export interface SmsboxSettings {
  /** `sendsms-port`. */
  sendsmsPort: number;
  /** `sendsms-interface`: the address it listens on; all when absent. */
  sendsmsInterface?: string;
  /** `global-sender`: the sender when a request and its account give none. */
  globalSender?: string;
  /** `sendsms-chars` (default "0123456789 +-"): characters allowed in `to`. */
  sendsmsChars: string;
}

/** `group = smsc` with `smsc = smpp`: one bind to an upstream SMSC. */
export interface LinkSettings {
  origin: Origin;
  /** Unique within the config: `smsc-admin-id`, else `smsc-id`, with `#2`, `#3`... for repeats. */
  name: string;
  /** `smsc-id` as written (Kannel 1.4.5 compares ids exactly, octstr_item_match). Shared ids: active-active. */
  smscId: string;
  host: string;
  port: number;
  /** `use-ssl`. Certificates are always verified. */
  tls: boolean;
  /** `transceiver-mode`: bind_transceiver (receipts on the same bind) instead of bind_transmitter. */
  transceiver: boolean;
  /** `smsc-username`, `smsc-password`, `system-type`, `address-range`. */
  systemId: string;
  password: string;
  systemType: string;
  addressRange: string;
  /** `source-addr-ton` etc.; undefined: chosen from the address as Kannel does. */
  sourceAddrTon?: number;
  sourceAddrNpi?: number;
  destAddrTon?: number;
  destAddrNpi?: number;
  /** `enquire-link-interval` seconds (default 30). */
  enquireLinkInterval: number;
  /** `max-pending-submits` (default 10): the window of unanswered submits. */
  maxPendingSubmits: number;
  /** `reconnect-delay` seconds (default 10): the first wait before binding again; it doubles up to 8 times that. */
  reconnectDelay: number;
  /** `throughput` messages per second; 0: unlimited. */
  throughput: number;
  /** `wait-ack` seconds (default 60): how long a submit waits for its response. */
  waitAck: number;
  /** `wait-ack-expire`: 0x00 reconnect (default), 0x01 requeue, 0x02 keep waiting. */
  waitAckExpire: 'reconnect' | 'requeue' | 'wait';
  /** `connection-timeout` seconds (default 300): nothing at all from the SMSC this long means the link is dead. */
  connectionTimeout: number;
  /** `allowed-smsc-id`, `denied-smsc-id`, `preferred-smsc-id`: `;`-separated id lists, as written. */
  allowedSmscIds?: string[];
  deniedSmscIds?: string[];
  preferredSmscIds?: string[];
  /** `msg-id-type` bitmask (default: ids compared as they come, and as hex/decimal both ways). */
  msgIdType?: number;
  /** McDebian: consecutive failed or unanswered submits that take a bound link out of rotation (default 3). */
  healthFailures: number;
  /** McDebian: seconds before a link out of rotation is probed with one message (default 5; doubles to 60). */
  healthProbeDelay: number;
}

/** `group = sendsms-user`: an HTTP account. */
/** A sendsms answer: Kannel's status and text. */
export interface SendsmsReply {
  status: number;
  body: string;
  /** Headers beyond Kannel's (Retry-After). */
  headers?: Record<string, string>;
}

export interface UserSettings {
  origin: Origin;
  username: string;
  password: string;
  /** `name`: shown in the status, and `%n` in a DLR URL. */
  name?: string;
  /** `default-smsc`: the smsc-id when the request gives none. `forced-smsc`: always, whatever the request says. */
  defaultSmsc?: string;
  forcedSmsc?: string;
  /** `default-sender`: the sender when the request gives none. `faked-sender`: always. */
  defaultSender?: string;
  fakedSender?: string;
  /** `max-messages` (Kannel's default 1): most parts one text may become; over it the text is cut to fit. */
  maxMessages: number;
  /** `concatenation` (default false): parts carry a concatenation header. */
  concatenation: boolean;
  /** `user-allow-ip`, `user-deny-ip`: Kannel's `;`-separated patterns with `*` for an octet. */
  userAllowIp?: string;
  userDenyIp?: string;
  /** `dlr-url`: used when a request asks for receipts without one. */
  dlrUrl?: string;
}

/** Everything the relay runs from. */
export interface RelaySettings {
  core: CoreSettings;
  smsbox: SmsboxSettings;
  links: LinkSettings[];
  users: UserSettings[];
}

/** One SMS part, encoded, as it goes into submit_sm. */
export interface SubmitPart {
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  destAddrTon: number;
  destAddrNpi: number;
  /** 0x00 GSM default alphabet, 0x04 8-bit, 0x08 UCS-2, or a DCS the client gave. */
  dataCoding: number;
  /** 0x40 (UDHI) when shortMessage starts with a user data header. */
  esmClass: number;
  /** The octets of short_message, UDH included (GSM-7 unpacked, one septet per octet, as SMPP carries it). */
  shortMessage: Buffer;
  /** 0x01 when a delivery receipt is wanted. */
  registeredDelivery: number;
  /** sendsms's pid and priority, when given. */
  protocolId?: number;
  priorityFlag?: number;
  /** SMPP times (relative form, `YYMMDDhhmmss000R`) from sendsms's validity and deferred. */
  validityPeriod?: string;
  scheduleDeliveryTime?: string;
}

/** What became of one submit_sm. */
export type SubmitResult =
  | { kind: 'ok'; messageId: string }
  /** Worth another try: 0x14 RMSGQFUL, 0x58 RTHROTTLED, 0x64 RX_T_APPN, 0x08 RSYSERR, no answer, link lost. */
  | { kind: 'temporary'; status?: number; reason: string }
  /** Not worth another try: every other error status. */
  | { kind: 'permanent'; status: number; reason: string };

/** A deliver_sm the link received (and already answered). */
export interface DeliverSm {
  /** The link's name. */
  link: string;
  sourceAddr: string;
  destinationAddr: string;
  esmClass: number;
  dataCoding: number;
  shortMessage: Buffer;
  /** TLVs by name, as the smpp package decodes them (receipted_message_id, message_state, ...). */
  tlvs: Record<string, unknown>;
}
