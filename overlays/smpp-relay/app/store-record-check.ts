/**
 * The shape of each store record, checked as the journal is read back: a line whose checksum
 * is right can still hold a record the relay cannot use (written by a hand that recomputed the
 * CRC, or by a version that wrote other fields). Unchecked, such a record crashed the start with
 * a TypeError, or later in a callback. One that fails is quarantined like a damaged line.
 *
 * Written by hand rather than with a schema library: the relay's bundle carries none (zod would
 * be most of the bundle's size, parsed at every start on a 512 MiB router), and seven record
 * kinds of plain fields need only the few combinators below. Fields the relay does not read are
 * let through, so a record from a newer version that only added fields still replays.
 */

/** Says what is wrong with a value at a path, or undefined when nothing is. */
type Check = (value: unknown, at: string) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Check = (value, at) => (typeof value === 'string' ? undefined : `${at} is not a string`);
const integer = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (value, at) =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : `${at} is not an integer from ${min} to ${max}`;
const octet = integer(0, 255);
const count = integer(0);
const time = integer(0);
const optional = (check: Check): Check => (value, at) => (value === undefined ? undefined : check(value, at));

function arrayOf(check: Check, min = 0): Check {
  return (value, at) => {
    if (!Array.isArray(value) || value.length < min) return `${at} is not a list of at least ${min}`;
    for (const [index, item] of value.entries()) {
      const problem = check(item, `${at}[${index}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

function object(fields: Record<string, Check>): Check {
  return (value, at) => {
    if (!isObject(value)) return `${at} is not an object`;
    for (const [name, check] of Object.entries(fields)) {
      const problem = check(value[name], `${at}.${name}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** A StoredMessage's fields but its parts. */
const MESSAGE_FIELDS: Record<string, Check> = {
  id: string,
  user: string,
  userName: optional(string),
  smscId: optional(string),
  from: string,
  to: string,
  dataCoding: octet,
  esmClass: octet,
  dlrMask: count,
  dlrUrl: optional(string),
  text: string,
  coding: integer(0, 2),
  charset: optional(string),
  udh: optional(string),
  protocolId: optional(octet),
  priority: optional(integer(0, 3)),
  validityMinutes: optional(count),
  deferredMinutes: optional(count),
  acceptedAt: time,
};

const message = object({ ...MESSAGE_FIELDS, parts: arrayOf(string, 1) });

/** Each record kind's fields besides `t`. */
const RECORDS: Record<string, Check> = {
  accept: object({ m: message }),
  sent: object({ id: string, p: count, link: string, mid: string, at: time }),
  failed: object({ id: string, p: count, status: optional(count), reason: string, at: time }),
  wait: object({
    w: object({ key: string, messageId: string, part: count, link: string, smscMessageId: string, submittedAt: time, message: object(MESSAGE_FIELDS) }),
  }),
  receipt: object({ key: string }),
  post: object({ post: object({ key: string, url: string, createdAt: time }) }),
  posted: object({ key: string }),
};

/** What is wrong with a value read back as a store record, or undefined when it is one. */
export function storeRecordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the record is not an object';
  const check = typeof value.t === 'string' && Object.hasOwn(RECORDS, value.t) ? RECORDS[value.t] : undefined;
  if (!check) return `unknown record type ${JSON.stringify(value.t)}`;
  return check(value, value.t as string);
}
