/**
 * smpp-relay's section of mcdebian.yaml: either an existing kannel.conf, used as it is, or the
 * same settings written here (Kannel's key names in camelCase; every password from a file).
 * Both become one kannel.conf in the image, which the relay reads on the device.
 */
import { z } from 'zod';
import { fileReference, ipv4, port } from '../../build/core/fields.js';

const seconds = (what: string) => z.int().min(1).max(86_400).optional().describe(what);
const ids = (what: string) => z.array(z.string().min(1)).optional().describe(what);
const file = fileReference;

const link = z.strictObject({
  smscId: z.string().min(1).describe('smsc-id: the routing id; links that share one share the traffic (active-active)'),
  adminId: z.string().min(1).optional().describe('smsc-admin-id: the link\'s own name in the status page'),
  host: z.string().min(1).describe('host: the SMSC\'s address'),
  port: port('port: the SMSC\'s SMPP port'),
  tls: z.boolean().optional().describe('use-ssl: SMPP over TLS; the SMSC\'s certificate is always verified'),
  transceiverMode: z.boolean().optional().describe('transceiver-mode: one bind_transceiver (receipts on the same bind) instead of bind_transmitter'),
  username: z.string().min(1).describe('smsc-username: the bind\'s system_id'),
  passwordFile: file('smsc-password: secret file with the bind\'s password'),
  systemType: z.string().optional().describe('system-type'),
  addressRange: z.string().optional().describe('address-range'),
  sourceAddrTon: z.int().min(0).max(6).optional().describe('source-addr-ton (with sourceAddrNpi)'),
  sourceAddrNpi: z.int().min(0).max(18).optional().describe('source-addr-npi (with sourceAddrTon)'),
  destAddrTon: z.int().min(0).max(6).optional().describe('dest-addr-ton (with destAddrNpi)'),
  destAddrNpi: z.int().min(0).max(18).optional().describe('dest-addr-npi (with destAddrTon)'),
  enquireLinkInterval: seconds('enquire-link-interval: seconds of silence before an enquire_link (default 30)'),
  maxPendingSubmits: z.int().min(1).max(1000).optional().describe('max-pending-submits: the window of unanswered submits (default 10)'),
  reconnectDelay: seconds('reconnect-delay: the first wait before binding again (default 10; it doubles up to 8 times that)'),
  throughput: z.number().min(0).optional().describe('throughput: most messages a second on this link; 0 or absent: no limit'),
  waitAck: seconds('wait-ack: seconds a submit waits for its answer (default 60)'),
  waitAckExpire: z.enum(['reconnect', 'requeue', 'wait']).optional().describe('wait-ack-expire: what a submit left unanswered does (default requeue)'),
  allowedSmscIds: ids('allowed-smsc-id: only messages for these ids'),
  deniedSmscIds: ids('denied-smsc-id: never messages for these ids'),
  preferredSmscIds: ids('preferred-smsc-id: messages for these ids come here first (active-passive)'),
  msgIdType: z.int().min(0).max(3).optional().describe('msg-id-type: 1 submit_sm_resp ids are hex, 2 receipt ids are hex'),
  healthFailures: z.int().min(1).max(100).optional().describe('McDebian: failed or unanswered submits in a row that take a bound link out of rotation (default 3)'),
  healthProbeDelay: seconds('McDebian: seconds before a link out of rotation is probed with one message (default 5)'),
});

const user = z.strictObject({
  username: z.string().min(1).describe('username'),
  passwordFile: file('password: secret file with the account\'s password'),
  name: z.string().min(1).optional().describe('name: shown as %n in DLR URLs'),
  defaultSmsc: z.string().min(1).optional().describe('default-smsc: the smsc-id when a request gives none'),
  forcedSmsc: z.string().min(1).optional().describe('forced-smsc: the smsc-id of every message, whatever the request says'),
  defaultSender: z.string().min(1).optional().describe('default-sender'),
  fakedSender: z.string().min(1).optional().describe('faked-sender: the sender of every message'),
  maxMessages: z.int().min(1).max(255).default(10).describe('max-messages: most parts one text becomes (Kannel\'s default is 1, which cuts long texts)'),
  concatenation: z.boolean().default(true).describe('concatenation: parts carry a concatenation header so the phone joins them'),
  allowIp: z.array(z.string().min(1)).optional().describe('user-allow-ip: addresses (Kannel patterns, * for an octet) let in despite denyIp'),
  denyIp: z.array(z.string().min(1)).optional().describe('user-deny-ip: addresses refused'),
  dlrUrl: z.url({ protocol: /^https?$/ }).optional().describe('dlr-url: where receipts go when a request asks for them without one'),
});

export const smppRelaySchema = z.strictObject({
  kannelConf: z.string().min(1).optional()
    .describe('an existing kannel.conf (secret: it holds passwords), used unchanged; the settings below are then not allowed'),
  core: z.strictObject({
    adminPort: port('admin-port: the status page (/status, /status.json)').default(13000),
    adminInterface: ipv4.optional().describe('admin-interface: default the LAN address on routers, all elsewhere'),
    statusPasswordFile: z.string().min(1).optional().describe('status-password: secret file; without one the status page is open'),
    smsResendFreq: z.int().min(1).max(3600).optional().describe('sms-resend-freq: longest wait in seconds before a temporarily failed part is tried again (default 60)'),
    smsResendRetry: z.int().min(-1).optional().describe('sms-resend-retry: tries after temporary failures; -1 (default) for ever'),
    smsOutgoingQueueLimit: z.int().min(1).optional().describe('sms-outgoing-queue-limit: parts waiting before sendsms answers 503 (default 1000000)'),
    dlrExpiry: z.int().min(1).max(720).optional().describe('McDebian dlr-expiry: hours a submitted part waits for its receipt (default 72)'),
  }).default({ adminPort: 13000 }).describe('the relay itself (Kannel\'s core group)'),
  sendsms: z.strictObject({
    port: port('sendsms-port').default(13013),
    interface: ipv4.optional().describe('sendsms-interface: default the LAN address on routers, all elsewhere'),
    globalSender: z.string().min(1).optional().describe('global-sender: the sender when neither request nor account gives one'),
    chars: z.string().min(1).optional().describe('sendsms-chars: characters allowed in `to` (default "0123456789 +-")'),
  }).default({ port: 13013 }).describe('the HTTP API (Kannel\'s smsbox group)'),
  smsc: z.array(link).optional().describe('the upstream SMPP binds (Kannel\'s smsc groups)'),
  users: z.array(user).optional().describe('the HTTP accounts (Kannel\'s sendsms-user groups)'),
  trustedCaFile: z.string().min(1).optional().describe('file with the CAs upstream TLS certificates must chain to; default: Node\'s CAs'),
  clientCertKeyFile: z.string().min(1).optional().describe('secret file with a client certificate and its key (PEM), for SMSCs that ask for one'),
});

export type SmppRelayConfig = z.output<typeof smppRelaySchema>;
export type LinkConfig = z.output<typeof link>;
export type UserConfig = z.output<typeof user>;
