/**
 * Kannel's `/cgi-bin/sendsms`, with smsbox's checks in smsbox's order and its status codes and
 * reply texts (gw/smsbox.c: smsbox_req_sendsms(), smsbox_req_handle(), delayed_http_reply()),
 * so a client written for Kannel needs no change. The reply says what routing does with the
 * message, as bearerbox's ack does: "0: Accepted for delivery" (a link takes it), "3: Queued
 * for later delivery" (links may, none is up), 403 "Not routable. Do not try again.", 503
 * "Temporal failure, try again later." (full, or the store could not write). Unlike Kannel's
 * in-memory queues, a 202 here means the message is on disk.
 */
import { receiverProblem, senderProblem } from './addresses.js';
import { argInt, argText } from './http-args.js';
import { dataCodingScheme } from './dcs.js';
import { expandDlrUrl } from './dlr-url.js';
import { encodeText } from './encode.js';
import { httpUrlProblem } from './http-url.js';
import type { Logins } from './sendsms-login.js';
import type { StoredMessage } from './store.js';
import type { SendsmsReply, SmsboxSettings, UserSettings } from './types.js';

export type { SendsmsReply } from './types.js';

export interface SendsmsContext {
  users: readonly UserSettings[];
  /** Checks the login, counting failures per client address. */
  logins: Logins;
  smsbox: SmsboxSettings;
  /** What routing would do now with a message for this smsc-id. */
  route(smscId: string | undefined): 'link' | 'queue' | 'full' | 'reject';
  /** Stores (durably) and dispatches the messages; rejects when the store cannot write. */
  accept(messages: StoredMessage[]): Promise<void>;
  newId(): string;
  now(): number;
  /** The next concatenation reference, 0-255. */
  reference(): number;
}

type Args = ReadonlyMap<string, Buffer>;

const reply = (status: number, body: string): SendsmsReply => ({ status, body });
const badRequest = (body: string) => reply(400, body);

/** Ranges smsbox checks, each with its reply text. */
const RANGES: readonly [name: string, min: number, max: number, text: string][] = [
  ['dlr-mask', -1, 66, 'DLR-Mask field misformed, rejected'],
  ['mclass', -1, 3, 'MClass field misformed, rejected'],
  ['pid', -1, 255, 'PID field misformed, rejected'],
  ['rpi', -1, 2, 'RPI field misformed, rejected'],
  ['alt-dcs', -1, 1, 'Alt-DCS field misformed, rejected'],
  ['mwi', -1, 7, 'MWI field misformed, rejected'],
  ['coding', -1, 2, 'Coding field misformed, rejected'],
  ['compress', -1, 1, 'Compress field misformed, rejected'],
];

function numbers(args: Args): Record<string, number | undefined> {
  return {
    'dlr-mask': argInt(args, 'dlr-mask', 'dlrmask'),
    mclass: argInt(args, 'mclass'),
    pid: argInt(args, 'pid'),
    rpi: argInt(args, 'rpi'),
    'alt-dcs': argInt(args, 'alt-dcs'),
    mwi: argInt(args, 'mwi'),
    coding: argInt(args, 'coding'),
    compress: argInt(args, 'compress'),
    validity: argInt(args, 'validity'),
    deferred: argInt(args, 'deferred'),
    priority: argInt(args, 'priority'),
  };
}

/**
 * Whether a dlr-url can be fetched. Kannel takes any of 8 characters or more that starts
 * http:// or https://, so "http:///" is accepted and fails at every try; here, once its escapes
 * are filled in, it must be an absolute http(s) URL with a host. Kannel's answer stays.
 */
function isFetchable(dlrUrl: string): boolean {
  return /^https?:\/\//i.test(dlrUrl) && httpUrlProblem(expandDlrUrl(dlrUrl, { type: 1 })) === undefined;
}

/** The first field check that fails, as smsbox_req_handle() words it. */
function fieldError(values: Record<string, number | undefined>, dlrUrl: string | undefined): string | undefined {
  if (dlrUrl && !isFetchable(dlrUrl)) return 'DLR-URL field misformed, rejected';
  for (const [name, min, max, text] of RANGES) {
    const value = values[name];
    if (value !== undefined && (value < min || value > max)) return text;
  }
  if (values.validity !== undefined && values.validity < -1) return 'Validity field misformed, rejected';
  if (values.deferred !== undefined && values.deferred < -1) return 'Deferred field misformed, rejected';
  // -1 is SMS_PARAM_UNDEFINED, which smsbox lets through here as for every other field
  if (values.priority !== undefined && values.priority !== -1 && (values.priority < 0 || values.priority > 3)) return 'Priority field misformed, rejected';
  return undefined;
}

/**
 * The receivers smsbox lets through: the words of `to` (octstr_split_words(): split at C's
 * isspace()), each once, with every character in sendsms-chars. Beyond Kannel, a receiver that
 * submit_sm cannot carry (over 20 octets, a control character whatever sendsms-chars allows) is
 * denied here too, as one outside sendsms-chars is, instead of failing later in the link.
 */
function receiversOf(to: string, sendsmsChars: string): string[] {
  const allowed = new Set(sendsmsChars);
  const words = new Set(to.split(/[ \t\n\v\f\r]+/).filter((number) => number !== ''));
  return [...words].filter((number) => [...number].every((c) => allowed.has(c)) && receiverProblem(number) === undefined);
}

/** The sender: faked-sender, the request's, default-sender, global-sender, in that order. */
function senderOf(args: Args, user: UserSettings, smsbox: SmsboxSettings): string | undefined {
  const from = argText(args, 'from');
  return user.fakedSender ?? (from ? from : undefined) ?? user.defaultSender ?? smsbox.globalSender;
}

/** A request that passed smsbox's checks. */
interface Request {
  user: UserSettings;
  receivers: string[];
  from: string;
  smscId?: string;
  values: Record<string, number | undefined>;
  dlrUrl?: string;
  udh?: Buffer;
  coding: 0 | 1 | 2;
}

/** The request's checks, in smsbox's order; a reply when one fails. */
function readRequest(args: Args, clientIp: string, context: SendsmsContext): Request | SendsmsReply {
  const user = context.logins.check(args, clientIp, context.users);
  if ('status' in user) return user;
  const to = argText(args, 'to');
  if (to === undefined) return badRequest('Missing receiver number, rejected');
  if (to === '') return badRequest('Empty receiver number not allowed, rejected');
  const udh = args.get('udh');
  if (udh !== undefined && udh.length !== (udh[0] ?? -1) + 1) return badRequest('UDH field misformed, rejected');
  if (udh !== undefined && udh.length > 140) return badRequest('UDH field is too long, rejected');
  const receivers = receiversOf(to, context.smsbox.sendsmsChars);
  if (receivers.length === 0) return badRequest('Number(s) has/have been denied by white- and/or black-lists.');
  const from = senderOf(args, user, context.smsbox);
  if (from === undefined) return badRequest('Sender missing and no global set, rejected');
  // beyond Kannel, which sends any sender and fails in bearerbox over 20 octets; worded as smsbox's field answers
  if (senderProblem(from) !== undefined) return badRequest('Sender field misformed or too long, rejected');
  const values = numbers(args);
  const dlrUrl = argText(args, 'dlr-url', 'dlrurl') || user.dlrUrl || undefined;
  const problem = fieldError(values, dlrUrl);
  if (problem) return badRequest(problem);
  const smscId = user.forcedSmsc ?? argText(args, 'smsc') ?? user.defaultSmsc;
  // Kannel's "compatibility mode": no coding given means 8-bit with a UDH, 7-bit without
  const coding = (values.coding === undefined || values.coding < 0 ? (udh?.length ? 1 : 0) : values.coding) as 0 | 1 | 2;
  return { user, receivers, from, ...(smscId === undefined ? {} : { smscId }), values, ...(dlrUrl === undefined ? {} : { dlrUrl }), ...(udh === undefined ? {} : { udh }), coding };
}

/** `{ key: value }` when the value is there (and passes `keep`), else nothing: for optional fields. */
function optional<K extends string, V>(key: K, value: V | undefined, keep: (v: V) => boolean = () => true): Partial<Record<K, V>> {
  return (value !== undefined && keep(value) ? { [key]: value } : {}) as Partial<Record<K, V>>;
}

/** One stored message per receiver, sharing the encoded parts. */
function toMessages(request: Request, args: Args, encoded: { parts: Buffer[]; esmClass: number }, context: SendsmsContext): StoredMessage[] {
  const { user, values, coding } = request;
  const text = argText(args, 'text') ?? '';
  const dataCoding = dataCodingScheme({ coding, mclass: values.mclass, mwi: values.mwi, compress: values.compress, altDcs: values['alt-dcs'] }, text.length > 0);
  const dlrMask = request.dlrUrl && (values['dlr-mask'] ?? 0) > 0 ? values['dlr-mask']! : 0;
  const nonNegative = (value: number) => value >= 0;
  return request.receivers.map((to) => ({
    id: context.newId(),
    user: user.username,
    ...optional('userName', user.name),
    ...optional('smscId', request.smscId),
    from: request.from,
    to,
    dataCoding,
    esmClass: encoded.esmClass | ((values.rpi ?? 0) > 0 ? 0x80 : 0),
    parts: encoded.parts.map((part) => part.toString('base64')),
    dlrMask,
    ...optional('dlrUrl', request.dlrUrl),
    text,
    coding,
    ...optional('charset', argText(args, 'charset')),
    ...optional('udh', request.udh?.toString('hex')),
    ...optional('protocolId', values.pid, nonNegative),
    ...optional('priority', values.priority, nonNegative),
    ...optional('validityMinutes', values.validity, nonNegative),
    ...optional('deferredMinutes', values.deferred, nonNegative),
    acceptedAt: context.now(),
  }));
}

/** Handles one sendsms request. */
export async function handleSendsms(args: Args, clientIp: string, context: SendsmsContext): Promise<SendsmsReply> {
  const request = readRequest(args, clientIp, context);
  if ('status' in request) return request;
  const encoded = encodeText({
    text: args.get('text') ?? Buffer.alloc(0),
    coding: request.coding,
    charset: argText(args, 'charset'),
    udh: request.udh,
    maxMessages: request.user.maxMessages,
    concatenation: request.user.concatenation,
    reference: context.reference(),
  });
  if ('error' in encoded) return badRequest('Charset or body misformed, rejected');
  const route = context.route(request.smscId);
  if (route === 'reject') return reply(403, 'Not routable. Do not try again.');
  if (route === 'full') return reply(503, 'Temporal failure, try again later.');
  try {
    await context.accept(toMessages(request, args, encoded, context));
  } catch {
    return reply(503, 'Temporal failure, try again later.');
  }
  return route === 'link' ? reply(202, '0: Accepted for delivery') : reply(202, '3: Queued for later delivery');
}
