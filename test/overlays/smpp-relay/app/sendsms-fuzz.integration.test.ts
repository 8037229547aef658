/**
 * Fuzzing sendsms: arbitrary query strings, forms, X-Kannel-* headers and bodies (NUL, control
 * characters, invalid UTF-8, huge values), through the parser alone and through the HTTP server
 * over raw TCP. The properties: nothing throws and nothing is answered 500; every message
 * accepted has a sender and a receiver without control characters and within what submit_sm
 * carries; and what is stored is what the SMPP encoder sends: each part, built for a link and
 * encoded by the `smpp` package, decodes to the same addresses, flags and octets, with nothing
 * smuggled into a neighbouring field.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { connect } from 'node:net';
import smpp from 'smpp';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { destinationAddress, MAX_ADDRESS, MAX_ALPHANUMERIC, sourceAddress } from '../../../../overlays/smpp-relay/app/addresses.js';
import { parseArgs } from '../../../../overlays/smpp-relay/app/http-args.js';
import { listen } from '../../../../overlays/runtime/http.js';
import { createSendsmsServer } from '../../../../overlays/smpp-relay/app/http-server.js';
import { submitPartFor } from '../../../../overlays/smpp-relay/app/parts.js';
import { handleSendsms, type SendsmsContext } from '../../../../overlays/smpp-relay/app/sendsms.js';
import { Logins } from '../../../../overlays/smpp-relay/app/sendsms-login.js';
import { submitParams, unsendablePart } from '../../../../overlays/smpp-relay/app/smpp-pdu.js';
import type { StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
import type { LinkSettings, UserSettings } from '../../../../overlays/smpp-relay/app/types.js';
import { linkSettings } from './smpp-link-fixtures.js';


const user = (username: string, change: Partial<UserSettings> = {}): UserSettings => ({
  origin: { file: 'kannel.conf', line: 1 }, username, password: 'secret', maxMessages: 3, concatenation: true, ...change,
});

const USERS = [
  user('app'),
  user('shop', { fakedSender: 'Shop', dlrUrl: 'http://127.0.0.1:9/dlr?type=%d' }),
  user('fallback', { defaultSender: '+4915', maxMessages: -1 }),
];

/** Links the parts are built for: Kannel's defaults, and TON/NPI forced as a carrier may want them. */
const LINKS: LinkSettings[] = [linkSettings(2775), linkSettings(2775, { name: 'forced', sourceAddrTon: 1, sourceAddrNpi: 1, destAddrTon: 1, destAddrNpi: 1 })];

/** A context that accepts whatever gets through and keeps it; logins never limited, so more gets through. */
function context(): { context: SendsmsContext; accepted: StoredMessage[] } {
  const accepted: StoredMessage[] = [];
  let ids = 0;
  return {
    accepted,
    context: {
      users: USERS,
      logins: new Logins({ log: createMemoryLog(), maxFailures: Number.MAX_SAFE_INTEGER }),
      smsbox: { sendsmsPort: 13013, sendsmsChars: '0123456789 +-' },
      route: () => 'link',
      accept: async (messages) => void accepted.push(...messages),
      newId: () => `id${(ids += 1)}`,
      now: () => 1_700_000_000_000,
      reference: () => 1,
    },
  };
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** The invariants of one accepted message; throws with what broke. */
function checkAccepted(message: StoredMessage): void {
  if (CONTROL.test(message.from) || CONTROL.test(message.to)) throw new Error(`control characters in ${JSON.stringify([message.from, message.to])}`);
  const to = message.to.startsWith('+') ? message.to.slice(1) : message.to;
  if (to.length > MAX_ADDRESS) throw new Error(`receiver ${JSON.stringify(message.to)} over ${MAX_ADDRESS} octets`);
  const numeric = /^\+?\d*$/.test(message.from);
  const from = numeric ? message.from.replace(/^\+/, '') : message.from;
  if (from.length > (numeric ? MAX_ADDRESS : MAX_ALPHANUMERIC)) throw new Error(`sender ${JSON.stringify(message.from)} too long`);
  for (const link of LINKS) {
    for (let index = 0; index < message.parts.length; index += 1) checkEncoded(message, index, link);
  }
}

/**
 * submit_sm's mandatory fields read from the octets as SMPP 3.4 section 4.4.1 lays them out,
 * by hand and not by the package, whose decode filters change times and text: if a field
 * smuggled a NUL, or ran over, every field after it reads wrong here.
 */
function readSubmitSm(octets: Buffer): Record<string, string | number | Buffer> {
  let at = 16;
  const fields: Record<string, string | number | Buffer> = { command_length: octets.readUInt32BE(0) };
  const cString = (name: string) => {
    const end = octets.indexOf(0, at);
    fields[name] = octets.subarray(at, end).toString('latin1');
    at = end + 1;
  };
  const integer = (name: string) => (fields[name] = octets[at++]!);
  cString('service_type');
  integer('source_addr_ton');
  integer('source_addr_npi');
  cString('source_addr');
  integer('dest_addr_ton');
  integer('dest_addr_npi');
  cString('destination_addr');
  for (const name of ['esm_class', 'protocol_id', 'priority_flag']) integer(name);
  cString('schedule_delivery_time');
  cString('validity_period');
  for (const name of ['registered_delivery', 'replace_if_present_flag', 'data_coding', 'sm_default_msg_id', 'sm_length']) integer(name);
  fields.short_message = octets.subarray(at, at + Number(fields.sm_length));
  fields.rest = octets.length - at - Number(fields.sm_length);
  return fields;
}

/** A stored part, built for a link and encoded by the package, reads back as exactly what was stored, field by field. */
function checkEncoded(message: StoredMessage, index: number, link: LinkSettings): void {
  const part = submitPartFor(message, index, link);
  const params = submitParams(part);
  const unsendable = unsendablePart(part, params);
  if (unsendable) throw new Error(`accepted but unsendable: ${unsendable.reason}`);
  const octets = new smpp.PDU('submit_sm', params).toBuffer();
  const { short_message: short, ...read } = readSubmitSm(octets);
  const expected = {
    command_length: octets.length,
    service_type: '',
    source_addr: sourceAddress(message.from, link).addr,
    source_addr_ton: part.sourceAddrTon,
    source_addr_npi: part.sourceAddrNpi,
    destination_addr: destinationAddress(message.to, link).addr,
    dest_addr_ton: part.destAddrTon,
    dest_addr_npi: part.destAddrNpi,
    esm_class: part.esmClass,
    protocol_id: message.protocolId ?? 0,
    priority_flag: message.priority ?? 0,
    schedule_delivery_time: part.scheduleDeliveryTime ?? '',
    validity_period: part.validityPeriod ?? '',
    registered_delivery: part.registeredDelivery,
    replace_if_present_flag: 0,
    data_coding: message.dataCoding,
    sm_default_msg_id: 0,
    sm_length: part.shortMessage.length,
    rest: 0,
  };
  for (const [field, value] of Object.entries(expected)) {
    if (read[field] !== value) throw new Error(`part ${index} on ${link.name}: ${field} reads ${JSON.stringify(read[field])}, stored ${JSON.stringify(value)}`);
  }
  if (!(short as Buffer).equals(Buffer.from(message.parts[index]!, 'base64'))) throw new Error(`part ${index} on ${link.name}: short_message differs`);
}

const NAMES = ['username', 'password', 'user', 'pass', 'to', 'from', 'text', 'udh', 'coding', 'charset', 'dlr-url', 'dlr-mask', 'smsc', 'mclass', 'mwi', 'pid', 'rpi', 'alt-dcs', 'validity', 'deferred', 'priority', 'compress'];

const percentEncoded = (bytes: Uint8Array) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

/** A parameter value as it may appear in a query: typical, any octets %-encoded, any characters raw, or huge. */
const value = fc.oneof(
  fc.constantFrom('', '4917', '+4915112345678', '0049 171 123', 'Shop', 'ABCDEFGHIJKL', '1'.repeat(21), 'app', 'secret', 'http://app.example/dlr?t=%25d', '-1', '3', '0', '2', 'UTF-8', 'ISO-8859-1'),
  fc.uint8Array({ maxLength: 30 }).map(percentEncoded),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.tuple(fc.constantFrom('7', 'A', '%00', '%FF'), fc.integer({ min: 100, max: 5000 })).map(([text, times]) => text.repeat(times)),
);

const pair = fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), value).map(([name, text]) => `${name}=${text}`);

/** Mostly a good login, so that most requests get as far as the checks after it. */
const login = fc.constantFrom('username=app&password=secret', 'user=shop&pass=secret', 'username=fallback&password=secret', 'username=app&password=wrong', '');

/**
 * Fuzzed pairs, then a login and a good receiver, sender and text as fallbacks: the first
 * occurrence of a name wins (as in Kannel), so a fuzzed one replaces its fallback.
 */
const query = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(pair, { maxLength: 6 }), login, fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })).map(([pairs, first, fallbacks]) => [...pairs, first, ...(fallbacks ? ['to=4917', 'from=Shop', 'text=hi'] : [])].join('&')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

/** A query as a request target carries it: what HTTP does not allow there (spaces, controls, 8-bit) %-encoded. */
const asTarget = (text: string) => Buffer.from(text, 'utf8').toString('latin1').replace(/[\u0000-\u0020\u007f-\u00ff#]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

test('the sendsms parser takes any query without throwing or 500, and accepts only what submit_sm carries as stored', async (t) => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(query, async (text) => {
      const fake = context();
      const reply = await handleSendsms(parseArgs(text), '192.0.2.1', fake.context);
      if (![202, 400, 403, 503].includes(reply.status)) throw new Error(`answered ${reply.status} ${reply.body}`);
      if ((reply.status === 202) !== (fake.accepted.length > 0)) throw new Error(`answered ${reply.status} with ${fake.accepted.length} messages stored`);
      for (const message of fake.accepted) checkAccepted(message);
      accepted += fake.accepted.length;
    }),
    { numRuns: 10_000, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false, includeErrorInReport: true },
  );
  t.true(accepted > 0, 'some requests were accepted, so the invariants were checked');
  t.log(`${accepted} messages accepted and checked`);
});

/** Sends octets as they are and reads the answer's status code; 0 when the connection closed without one. */
function rawRequest(port: number, octets: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer within 20 s')));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.end(octets);
  });
}

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));
const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** A request as a client may write it: a GET with any query octets, a form, or Kannel's POST with X-Kannel-* headers of any octets. */
const request = fc.oneof(
  fc.oneof({ weight: 3, arbitrary: query.map((text) => latin1(asTarget(text))) }, { weight: 1, arbitrary: bytes(200) }).map((target) => Buffer.concat([latin1('GET /cgi-bin/sendsms?'), target, latin1(' HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n')])),
  fc.oneof(query.map((text) => Buffer.from(text, 'utf8')), bytes(300)).map((body) =>
    Buffer.concat([latin1(`POST /cgi-bin/sendsms HTTP/1.1\r\nHost: relay\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`), body])),
  fc.tuple(
    fc.constantFrom('text/plain', 'application/octet-stream', 'text/plain; charset=UTF-16BE', 'text/plain; charset="no-such"', 'image/png'),
    fc.array(fc.tuple(fc.constantFrom('Username', 'Password', 'From', 'To', 'UDH', 'Coding', 'DLR-URL', 'DLR-Mask', 'Validity', 'Charset'), fc.oneof(fc.constantFrom('app', 'secret', '4917', 'Shop'), bytes(30).map((octets) => octets.toString('latin1')))), { maxLength: 8 }),
    bytes(400),
  ).map(([type, headers, body]) => Buffer.concat([
    latin1(`POST /cgi-bin/sendsms HTTP/1.1\r\nHost: relay\r\nConnection: close\r\nContent-Type: ${type}\r\nX-Kannel-Username: app\r\nX-Kannel-Password: secret\r\nX-Kannel-To: 4917\r\nX-Kannel-From: Shop\r\n`),
    ...headers.map(([name, text]) => latin1(`X-Kannel-${name}: ${text}\r\n`)),
    latin1(`Content-Length: ${body.length}\r\n\r\n`),
    body,
  ])),
);

async function sendsmsServer(t: ExecutionContext) {
  const fake = context();
  const server = createSendsmsServer((args, clientIp) => handleSendsms(args, clientIp, fake.context));
  const { port } = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { port, accepted: fake.accepted };
}

test('the sendsms server answers any request over the wire without 500, and stores only what submit_sm carries as stored', async (t) => {
  const { port, accepted } = await sendsmsServer(t);
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(request, async (octets) => {
      const before = accepted.length;
      const status = await rawRequest(port, octets);
      statuses.add(status);
      if (status === 500 || status === 0) throw new Error(`answered ${status || 'nothing'}`);
      for (const message of accepted.slice(before)) checkAccepted(message);
    }),
    { numRuns: 1500, interruptAfterTimeLimit: 25_000, markInterruptAsFailure: false, includeErrorInReport: true },
  );
  t.true(accepted.length > 0, 'some requests were accepted, so the invariants were checked');
  t.log(`statuses ${[...statuses].sort().join(', ')}; ${accepted.length} messages accepted and checked`);
});
