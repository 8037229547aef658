/**
 * Every key Kannel 1.4.5 allows in the groups the relay reads (gwlib/cfg.def), each with what the
 * relay does with it:
 * - implemented: parsed, with Kannel's default (from the source where it and the user guide
 *   differ: gw/smsc/smsc_smpp.c, gw/smscconn.c, gw/bearerbox.c, gw/bb_smscconn.c, gw/smsbox.c,
 *   gw/urltrans.c);
 * - ignored: accepted without effect, with the reason (a warning);
 * - unsupported: refused, with what to do instead (an error), unless the value is Kannel's own
 *   default, which changes nothing (then a warning).
 * Keys marked `mcdebian` are McDebian's additions: Kannel itself refuses them.
 */
import type { LinkSettings } from './types.js';

/** A value as read, or why it cannot be one (the text says what is allowed). */
export type Parsed<T> = { value: T; warning?: string } | { error: string };

/** How one kind of value is read. */
export interface Parser<T> {
  parse(text: string): Parsed<T>;
}

/** A number as Kannel's cfg_get_integer reads it (strtol, base 0): decimal, 0x hex, or octal after a leading 0. */
function kannelInteger(text: string): number | { error: string } {
  const match = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(text);
  if (!match) {
    const lead = /^[+-]?[0-9]+/.exec(text)?.[0];
    return { error: `not a whole number${lead === undefined ? '' : ` (Kannel would read ${lead} and ignore the rest; it has no end-of-line comments)`}` };
  }
  const [, sign = '', digits = ''] = match;
  let value = /^0x/i.test(digits) ? parseInt(digits.slice(2), 16) : parseInt(digits, 10);
  if (digits.length > 1 && digits.startsWith('0') && !/^0x/i.test(digits)) {
    const octal = parseInt(digits, 8);
    if (octal !== value) return { error: `Kannel reads a leading 0 as octal, so this is ${sign}${octal}: write ${sign}${octal}, or ${sign}${value} without the 0` };
    value = octal;
  }
  return sign === '-' ? -value : value;
}

interface IntegerRange {
  min?: number;
  max?: number;
  /** Kannel's silent substitute for values below `below` (gw/bearerbox.c, gw/bb_smscconn.c): used, with a warning. */
  fallback?: { below: number; value: number };
}

function describeRange({ min, max }: IntegerRange): string {
  if (min !== undefined && max !== undefined) return `a whole number from ${min} to ${max}`;
  return min === undefined ? 'a whole number' : `a whole number, ${min} or more`;
}

/** Whole numbers within a range. */
export function integer(range: IntegerRange): Parser<number> {
  return {
    parse(text) {
      const value = kannelInteger(text);
      if (typeof value !== 'number') return { error: `${value.error}; allowed: ${describeRange(range)}` };
      const { min, max, fallback } = range;
      if (fallback && value < fallback.below) {
        return { value: fallback.value, warning: `Kannel takes a value below ${fallback.below} as ${fallback.value}, and so does the relay` };
      }
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) return { error: `allowed: ${describeRange(range)}` };
      return { value };
    },
  };
}

/** cfg_get_bool's words; Kannel takes anything else as true with a warning, the relay refuses it. */
export const BOOLEAN: Parser<boolean> = {
  parse(text) {
    if (/^(true|yes|on|1)$/i.test(text)) return { value: true };
    if (/^(false|no|off|0)$/i.test(text)) return { value: false };
    return { error: 'allowed: true, false, yes, no, on, off, 1 or 0 (Kannel would take it as true)' };
  },
};

/** A rate such as `throughput = 0.5`. */
export const FLOAT: Parser<number> = {
  parse(text) {
    const ok = /^\+?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/i.test(text) && Number.isFinite(Number(text));
    return ok ? { value: Number(text) } : { error: 'allowed: a number, 0 or more, such as 10 or 0.5' };
  },
};

export const STRING: Parser<string> = { parse: (text) => ({ value: text }) };

/**
 * An smsc-id, as written: Kannel 1.4.5 compares ids exactly (octstr_item_match(), gwlib/octstr.c),
 * whatever its user guide says, and so does the relay, so a request's `smsc=` matches the same.
 */
export const ID: Parser<string> = { parse: (text) => ({ value: text }) };

/** A `;`-separated id list, as written, without empty items. */
export const ID_LIST: Parser<string[]> = {
  parse(text) {
    const items = text.split(';');
    const value = items.map((item) => item.trim()).filter((item) => item !== '');
    const spaced = items.some((item) => item.trim() !== item);
    return spaced ? { value, warning: 'Kannel keeps spaces around the ids, so an id written " b" never matches; the relay drops them' } : { value };
  },
};

const WAIT_ACK_ACTIONS: readonly LinkSettings['waitAckExpire'][] = ['reconnect', 'requeue', 'wait'];

/** `wait-ack-expire`: 0x00 reconnect, 0x01 requeue, 0x02 keep waiting. */
export const WAIT_ACK_EXPIRE: Parser<LinkSettings['waitAckExpire']> = {
  parse(text) {
    const value = kannelInteger(text);
    const action = typeof value === 'number' ? WAIT_ACK_ACTIONS[value] : undefined;
    return action ? { value: action } : { error: 'allowed: 0x00 (reconnect), 0x01 (requeue) or 0x02 (keep waiting)' };
  },
};

/** What the relay does with one key. */
export type KeyRule =
  | { status: 'implemented'; parser: Parser<unknown>; default?: unknown; required?: string; mcdebian?: true }
  | { status: 'ignored'; reason: string }
  | { status: 'unsupported'; instead: string; harmless?: { parser: Parser<unknown>; value: unknown } };

/** The rules of one group, by key. */
export type KeyTable = Readonly<Record<string, KeyRule>>;

const implemented = (parser: Parser<unknown>, more: { default?: unknown; required?: string; mcdebian?: true } = {}): KeyRule =>
  ({ status: 'implemented', parser, ...more });
const ignored = (reason: string): KeyRule => ({ status: 'ignored', reason });
const unsupported = (instead: string, harmless?: { parser: Parser<unknown>; value: unknown }): KeyRule =>
  ({ status: 'unsupported', instead, ...(harmless ? { harmless } : {}) });
const each = (keys: string[], rule: KeyRule): Record<string, KeyRule> => Object.fromEntries(keys.map((key) => [key, rule]));

const PORT = integer({ min: 1, max: 65535 });
const LOGGING = ignored('the relay logs to the systemd journal');
const BOX_LINK = ignored('it joins bearerbox and smsbox, which the relay is in one process');
const NO_FILTER = unsupported('the relay does not filter numbers: filter them in the application that calls sendsms');
const NO_WAP = unsupported('the relay does SMS only, not WAP: remove it');
const NO_PREFIX_ROUTING = unsupported('route by smsc-id: list ids in allowed-smsc-id, denied-smsc-id or preferred-smsc-id, and give accounts a default-smsc or forced-smsc');
const NO_MO = 'it concerns incoming messages for sms-service groups, which the relay does not deliver';
const HTTP_CLIENT = ignored('the relay has its own timeout and retry policy for dlr-url requests');

/** `group = core`. */
export const CORE_KEYS: KeyTable = {
  'admin-port': implemented(PORT, { required: 'the status endpoint\'s port, e.g. admin-port = 13000' }),
  'admin-interface': implemented(STRING),
  'admin-password': implemented(STRING),
  'status-password': implemented(STRING),
  'admin-allow-ip': implemented(STRING),
  'admin-deny-ip': implemented(STRING),
  'admin-port-ssl': unsupported('the status endpoint speaks plain HTTP: remove admin-port-ssl and keep it on a trusted address with admin-interface', { parser: BOOLEAN, value: false }),
  'store-location': implemented(STRING),
  // Deprecated in Kannel ("use store-location and store-type"), and it wins over store-location (gw/bearerbox.c).
  'store-file': implemented(STRING),
  'sms-resend-freq': implemented(integer({ min: 1, fallback: { below: 1, value: 60 } }), { default: 60 }),
  'sms-resend-retry': implemented(integer({}), { default: -1 }),
  // The user guide's default: 1 million; gw/bearerbox.c also takes a negative limit as that.
  'sms-outgoing-queue-limit': implemented(integer({ min: 0, fallback: { below: 0, value: 1_000_000 } }), { default: 1_000_000 }),
  'ssl-client-certkey-file': implemented(STRING),
  'ssl-trusted-ca-file': implemented(STRING),
  'dlr-expiry': implemented(integer({ min: 1 }), { default: 72, mcdebian: true }),
  ...each(['smsbox-port', 'smsbox-port-ssl', 'smsbox-interface', 'smsbox-max-pending', 'box-allow-ip', 'box-deny-ip'], BOX_LINK),
  ...each(['log-file', 'log-level', 'syslog-level', 'syslog-facility'], LOGGING),
  ...each(['access-log', 'access-log-time', 'access-log-format', 'access-log-clean'], ignored('the relay writes no separate access log; messages are logged to the journal')),
  'store-type': ignored('the relay keeps its own store format in store-location'),
  'store-dump-freq': ignored('the relay\'s store has its own write policy'),
  ...each(['dlr-storage', 'dlr-spool'], ignored('the relay keeps receipts waiting in its own store (for dlr-expiry hours)')),
  ...each(['sms-incoming-queue-limit', 'maximum-queue-length'], ignored('it limits messages waiting for smsbox, which is part of the relay')),
  ...each(['sms-combine-concatenated-mo', 'sms-combine-concatenated-mo-timeout'], ignored(NO_MO)),
  'http-timeout': HTTP_CLIENT,
  ...each(['ssl-client-cipher-list', 'ssl-server-cipher-list'], ignored('Node\'s TLS defaults are used')),
  ...each(['ssl-server-cert-file', 'ssl-server-key-file'], ignored('only the *-port-ssl keys use it, and the relay serves plain HTTP')),
  ...each(['udp-allow-ip', 'udp-deny-ip'], ignored('only wdp-interface-name (WAP) uses it')),
  ...each(['wapbox-port', 'wapbox-port-ssl', 'wdp-interface-name'], NO_WAP),
  'unified-prefix': unsupported('the relay sends numbers as given: normalise them in the application that calls sendsms'),
  ...each(['white-list', 'white-list-regex', 'black-list', 'black-list-regex', 'white-list-sender', 'white-list-sender-regex',
    'black-list-sender', 'black-list-sender-regex', 'white-list-receiver', 'white-list-receiver-regex', 'black-list-receiver',
    'black-list-receiver-regex'], NO_FILTER),
  ...each(['http-proxy-host', 'http-proxy-port', 'http-proxy-ssl', 'http-proxy-exceptions', 'http-proxy-exceptions-regex',
    'http-proxy-username', 'http-proxy-password'], unsupported('the relay fetches dlr-url directly, never through a proxy: remove it')),
};

/** `group = smsbox`. */
export const SMSBOX_KEYS: KeyTable = {
  'sendsms-port': implemented(PORT, { required: 'the port of the sendsms HTTP interface, e.g. sendsms-port = 13013' }),
  'sendsms-interface': implemented(STRING),
  'global-sender': implemented(STRING),
  // SENDSMS_DEFAULT_CHARS, gw/smsbox.c
  'sendsms-chars': implemented(STRING, { default: '0123456789 +-' }),
  ...each(['smsbox-id', 'bearerbox-host', 'bearerbox-port', 'bearerbox-port-ssl'], BOX_LINK),
  ...each(['log-file', 'log-level', 'syslog-level', 'syslog-facility'], LOGGING),
  ...each(['access-log', 'access-log-time', 'access-log-clean'], ignored('the relay writes no separate access log; requests are logged to the journal')),
  ...each(['sendota-url', 'xmlrpc-url'], ignored('the relay serves sendsms only: no OTA, no XML-RPC')),
  ...each(['reply-couldnotfetch', 'reply-couldnotrepresent', 'reply-requestfailed', 'reply-emptymessage', 'mo-recode'], ignored(NO_MO)),
  ...each(['http-request-retry', 'http-queue-delay', 'max-pending-requests', 'http-timeout'], HTTP_CLIENT),
  'immediate-sendsms-reply': ignored('the relay answers sendsms itself once it has taken the message'),
  'sendsms-port-ssl': unsupported('sendsms is plain HTTP: remove sendsms-port-ssl and keep it on a trusted address with sendsms-interface', { parser: BOOLEAN, value: false }),
  'sendsms-url': unsupported('the relay serves sendsms at /cgi-bin/sendsms only: point the clients there', { parser: STRING, value: '/cgi-bin/sendsms' }),
  'sms-length': unsupported('the relay splits texts by the GSM rules (140 octets a part): remove it', { parser: integer({}), value: 140 }),
  ...each(['allowed-prefix', 'denied-prefix', 'white-list', 'black-list', 'white-list-regex', 'black-list-regex'], NO_FILTER),
};

/** `group = smsc` (with `smsc = smpp`). */
export const SMSC_KEYS: KeyTable = {
  smsc: implemented(STRING, { required: 'the SMSC type; the relay speaks smsc = smpp' }),
  'smsc-id': implemented(ID),
  'smsc-admin-id': implemented(STRING),
  host: implemented(STRING, { required: 'the SMSC\'s address, e.g. host = smsc.example.net' }),
  // SMPP_DEFAULT_PORT; Kannel warns and uses it when no port is given.
  port: implemented(PORT),
  'use-ssl': implemented(BOOLEAN, { default: false }),
  'transceiver-mode': implemented(BOOLEAN, { default: false }),
  'smsc-username': implemented(STRING),
  // Obsolete in Kannel ("use smsc-username instead"), used only when smsc-username is absent.
  'system-id': implemented(STRING),
  'smsc-password': implemented(STRING, { required: 'the bind password; Kannel refuses an smpp group without it' }),
  'system-type': implemented(STRING),
  'address-range': implemented(STRING, { default: '' }),
  ...each(['source-addr-ton', 'source-addr-npi', 'dest-addr-ton', 'dest-addr-npi'], implemented(integer({ min: 0, max: 255 }))),
  'enquire-link-interval': implemented(integer({ min: 1 }), { default: 30 }),
  'max-pending-submits': implemented(integer({ min: 1 }), { default: 10 }),
  // SMSCCONN_RECONNECT_DELAY; 0 would rebind in a tight loop.
  'reconnect-delay': implemented(integer({ min: 1 }), { default: 10 }),
  throughput: implemented(FLOAT, { default: 0 }),
  'wait-ack': implemented(integer({ min: 1 }), { default: 60 }),
  // The user guide says 0x00 is the default; the code (SMPP_WAITACK_REQUEUE) uses 0x01.
  'wait-ack-expire': implemented(WAIT_ACK_EXPIRE, { default: 'requeue' }),
  // 10 * SMPP_ENQUIRE_LINK_INTERVAL; 0: never (the check is "connection_timeout > 0").
  'connection-timeout': implemented(integer({ min: 0 }), { default: 300 }),
  ...each(['allowed-smsc-id', 'denied-smsc-id', 'preferred-smsc-id'], implemented(ID_LIST)),
  'msg-id-type': implemented(integer({ min: 0, max: 3 })),
  instances: implemented(integer({ min: 0 }), { default: 1 }),
  'health-failures': implemented(integer({ min: 1 }), { default: 3, mcdebian: true }),
  'health-probe-delay': implemented(integer({ min: 1 }), { default: 5, mcdebian: true }),
  ...each(['log-file', 'log-level', 'log-format'], LOGGING),
  'my-number': ignored('Kannel\'s SMPP module reads it but never uses it'),
  ...each(['alt-host', 'alt-port', 'keepalive', 'sim-buffering', 'modemtype', 'device', 'speed', 'smsc_nua', 'home_nua',
    'wait_report', 'ois-debug-level', 'modem-type', 'pin', 'phone', 'send-url', 'dlr-url', 'sender-prefix', 'flow-control',
    'no-sender', 'no-coding', 'window', 'idle-timeout', 'no-sep', 'appname', 'ussdc', 'session-length', 'sms-center',
    'notification-pid', 'notification-addr', 'no-dlr', 'max-error-count', 'status-success-regex', 'status-permfail-regex',
    'status-tempfail-regex', 'login-prompt', 'password-prompt', 'connect-allow-ip', 'generic-param-username',
    'generic-param-password', 'generic-param-from', 'generic-param-to', 'generic-param-text', 'generic-param-udh',
    'generic-param-service', 'generic-param-account', 'generic-param-binfo', 'generic-param-dlr-mask', 'generic-param-dlr-err',
    'generic-param-dlr-url', 'generic-param-dlr-mid', 'generic-param-flash', 'generic-param-mclass', 'generic-param-mwi',
    'generic-param-coding', 'generic-param-validity', 'generic-param-deferred', 'generic-param-foreign-id',
    'generic-param-meta-data', 'generic-message-sent', 'generic-status-sent', 'generic-status-error', 'generic-foreign-id-regex'],
  ignored('other smsc types use it; Kannel\'s SMPP module does not read it either')),
  ...each(['allowed-prefix', 'denied-prefix', 'preferred-prefix', 'allowed-prefix-regex', 'denied-prefix-regex', 'preferred-prefix-regex'], NO_PREFIX_ROUTING),
  ...each(['allowed-smsc-id-regex', 'denied-smsc-id-regex', 'preferred-smsc-id-regex'], unsupported('list the ids in allowed-smsc-id, denied-smsc-id or preferred-smsc-id')),
  'unified-prefix': unsupported('the relay sends numbers as given: normalise them in the application that calls sendsms'),
  ...each(['reroute', 'reroute-dlr'], unsupported('the relay does not pass incoming messages back out: remove it', { parser: BOOLEAN, value: false })),
  ...each(['reroute-smsc-id', 'reroute-receiver'], unsupported('the relay does not pass incoming messages back out: remove it')),
  'receive-port': unsupported('use transceiver-mode = true: receipts then come on the same bind'),
  'our-receiver-port': unsupported('the relay makes no receive-only bind: use transceiver-mode = true'),
  ...each(['our-host', 'our-port'], unsupported('the relay connects from the address and port the system chooses: remove it (route by the destination instead)')),
  ...each(['alt-charset', 'alt-addr-charset'], unsupported('the relay sends the GSM 7-bit alphabet or UCS-2, as SMPP says: remove it')),
  'alt-dcs': unsupported('the relay sends Kannel\'s default data coding (0X): remove it', { parser: BOOLEAN, value: false }),
  'max-sms-octets': unsupported('the relay splits texts into parts of 140 octets: remove it', { parser: integer({}), value: 140 }),
  'dead-start': unsupported('the relay starts every link: leave the group out to keep a link down', { parser: BOOLEAN, value: false }),
  // SMPP_DEFAULT_VERSION 0x34; the key is written in decimal ("34") and converted to BCD.
  'interface-version': unsupported('the relay binds as SMPP 3.4: remove it', { parser: integer({}), value: 34 }),
  'source-addr-autodetect': unsupported('the relay always picks the source TON/NPI from the sender, as Kannel does by default: remove it', { parser: BOOLEAN, value: true }),
  ...each(['bind-addr-ton', 'bind-addr-npi'], unsupported('the relay binds with TON and NPI 0: remove it', { parser: integer({}), value: 0 })),
  priority: unsupported('the relay submits with priority 0: remove it', { parser: integer({}), value: 0 }),
  // ESM_CLASS_SUBMIT_STORE_AND_FORWARD_MODE
  'esm-class': unsupported('the relay submits with Kannel\'s default esm_class: remove it', { parser: integer({}), value: 3 }),
  'service-type': unsupported('the relay submits with an empty service_type: remove it', { parser: STRING, value: '' }),
  validityperiod: unsupported('the relay submits without a validity period (the SMSC\'s default): remove it'),
  'ssl-client-certkey-file': unsupported('set ssl-client-certkey-file in group core: it applies to every link'),
};

/** `group = sendsms-user`. */
export const SENDSMS_USER_KEYS: KeyTable = {
  username: implemented(STRING, { required: 'the account name clients give as username=' }),
  password: implemented(STRING, { required: 'the account password; Kannel refuses an account without one' }),
  name: implemented(STRING),
  'user-allow-ip': implemented(STRING),
  'user-deny-ip': implemented(STRING),
  'default-smsc': implemented(ID),
  'forced-smsc': implemented(ID),
  'default-sender': implemented(STRING),
  'faked-sender': implemented(STRING),
  // gw/urltrans.c; 0 would make Kannel accept every message and send none.
  'max-messages': implemented(integer({ min: 1 }), { default: 1 }),
  concatenation: implemented(BOOLEAN, { default: false }),
  'dlr-url': implemented(STRING),
  'omit-empty': ignored('it applies only to sms-service replies'),
  ...each(['split-chars', 'split-suffix'], unsupported('the relay splits texts by the GSM rules; set concatenation = true to join the parts on the phone')),
  ...each(['header', 'footer'], unsupported('the relay sends the text as given: add it in the application that calls sendsms')),
  ...each(['allowed-prefix', 'denied-prefix', 'allowed-prefix-regex', 'denied-prefix-regex', 'white-list', 'black-list',
    'white-list-regex', 'black-list-regex'], NO_FILTER),
};

/** The groups the relay reads. */
export const GROUP_KEYS: Readonly<Record<string, KeyTable>> = {
  core: CORE_KEYS, smsbox: SMSBOX_KEYS, smsc: SMSC_KEYS, 'sendsms-user': SENDSMS_USER_KEYS,
};

const WAP = 'WAP and WAP push';
const DATABASE = 'database storage: the relay keeps its message store and waiting receipts under store-location';

/** The other groups Kannel knows, and what they are for; the relay refuses them. */
export const REFUSED_GROUPS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['wapbox', 'wap-url-map', 'wap-user-map', 'wtls', 'ppg', 'wap-push-user', 'test-ppg', 'configuration'].map((name) => [name, WAP])),
  'smsbox-route': 'routing incoming messages to several smsboxes',
  'sms-service': 'incoming messages (keyword services): it only sends (sendsms) and reports receipts to dlr-url',
  'ota-setting': 'OTA settings (sendota)',
  'ota-bookmark': 'OTA bookmarks (sendota)',
  modems: 'GSM modems (smsc = at)',
  ...Object.fromEntries(['mssql', 'mysql', 'oracle', 'sdb', 'pgsql', 'sqlite', 'sqlite3', 'redis', 'cassandra'].map((db) => [`${db}-connection`, DATABASE])),
  'dlr-db': DATABASE,
  'store-db': DATABASE,
  'radius-acct': 'RADIUS accounting',
  'smpp-tlv': 'custom SMPP TLVs',
};
