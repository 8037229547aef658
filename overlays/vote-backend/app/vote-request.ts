/**
 * What a POST /votes asks for, read from its body (JSON, or an HTML form's
 * application/x-www-form-urlencoded) and its Idempotency-Key header, and checked against the
 * configured polls. Every refusal is a VoteRefusal: a status, a reason a metric counts, and a
 * message a page can show as it is.
 */
import { ID_PATTERN, type Poll } from './config.js';

/** Why a vote is refused: the `reason` label of the rejected-votes metric. */
export type RefusalReason =
  | 'malformed' | 'too_large' | 'unsupported_media_type' | 'unknown_poll' | 'unknown_choice' | 'poll_closed' | 'poll_not_open'
  | 'voter_limit' | 'address_limit' | 'key_conflict' | 'unavailable';

/** A vote that is not taken: the answer's status, headers and message. */
export class VoteRefusal extends Error {
  override readonly name = 'VoteRefusal';
  constructor(readonly status: number, readonly reason: RefusalReason, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** A vote as asked for, before it is checked against the polls. */
export interface VoteRequest {
  poll: string;
  choice: string;
  /** The page's id for the voter (a device or account), when it sends one. */
  voter?: string;
  /** The Idempotency-Key header's value: a retry with the same key is the same vote. */
  key?: string;
}

/** A voter id: printable ASCII without spaces, the length of an account id or a UUID and then some. */
const VOTER_PATTERN = /^[\x21-\x7e]{1,128}$/;
/**
 * draft-ietf-httpapi-idempotency-key-header-07, section 2.1: the value is a Structured Field
 * String (RFC 8941 section 3.3.3: double quotes, printable ASCII, \" and \\ escaped). A bare
 * token is taken too, as clients written before the draft send one.
 */
const QUOTED_KEY = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]){1,255})"$/;
const BARE_KEY = /^[\x21-\x7e]{1,255}$/;

const malformed = (message: string) => new VoteRefusal(400, 'malformed', message);

/** The Idempotency-Key, unquoted; undefined when the header is absent. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw malformed('send one Idempotency-Key header, not several');
  const value = header.trim();
  const quoted = QUOTED_KEY.exec(value);
  if (quoted) return quoted[1]!.replace(/\\(["\\])/g, '$1');
  if (BARE_KEY.test(value) && !value.includes('"')) return value;
  throw malformed('the Idempotency-Key header must be a quoted string of 1 to 255 printable characters, such as "4f8c0a5e-..."');
}

/** The fields of a body, from JSON or a form, as strings (other JSON types are refused). */
function fieldsOf(body: string, contentType: string): Record<string, unknown> {
  if (contentType === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body));
  if (contentType !== 'application/json' && contentType !== '') {
    throw new VoteRefusal(415, 'unsupported_media_type', 'send the vote as application/json or as a form (application/x-www-form-urlencoded)');
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw malformed('the body is not JSON: send {"poll": "...", "choice": "..."}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('the body must be a JSON object such as {"poll": "...", "choice": "..."}');
  return value as Record<string, unknown>;
}

function stringField(fields: Record<string, unknown>, name: string, pattern: RegExp, what: string): string | undefined {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw malformed(`"${name}" must be ${what}`);
  return value;
}

/** Reads a vote from a body and its headers; throws VoteRefusal for one that cannot be read. */
export function parseVoteRequest(options: { body: string; contentType: string | undefined; idempotencyKey: string | string[] | undefined }): VoteRequest {
  const contentType = (options.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const fields = fieldsOf(options.body, contentType);
  const id = 'a poll or choice id (letters, digits, _ . -, at most 64)';
  const poll = stringField(fields, 'poll', ID_PATTERN, id);
  const choice = stringField(fields, 'choice', ID_PATTERN, id);
  if (poll === undefined) throw malformed('say which poll: "poll" is missing');
  if (choice === undefined) throw malformed('say which choice: "choice" is missing');
  const voter = stringField(fields, 'voter', VOTER_PATTERN, 'at most 128 printable characters without spaces');
  const key = parseIdempotencyKey(options.idempotencyKey);
  return { poll, choice, ...(voter === undefined ? {} : { voter }), ...(key === undefined ? {} : { key }) };
}

/** Polls by id, for the checks below. */
export type PollIndex = ReadonlyMap<string, { poll: Poll; choices: ReadonlySet<string> }>;

export function indexPolls(polls: readonly Poll[]): PollIndex {
  return new Map(polls.map((poll) => [poll.id, { poll, choices: new Set(poll.choices.map((choice) => choice.id)) }]));
}

/** Throws VoteRefusal when the poll is unknown, not open at `now` (epoch ms), or has no such choice. */
export function checkAgainstPolls(request: VoteRequest, polls: PollIndex, now: number): void {
  const entry = polls.get(request.poll);
  if (!entry) throw new VoteRefusal(404, 'unknown_poll', `there is no poll "${request.poll}"`);
  const { poll } = entry;
  if (poll.opensAt !== undefined && now < poll.opensAt) {
    throw new VoteRefusal(403, 'poll_not_open', `voting in "${poll.title}" opens at ${new Date(poll.opensAt).toISOString()}`);
  }
  if (poll.closesAt !== undefined && now >= poll.closesAt) {
    throw new VoteRefusal(403, 'poll_closed', `voting in "${poll.title}" is closed`);
  }
  if (!entry.choices.has(request.choice)) throw new VoteRefusal(422, 'unknown_choice', `"${poll.title}" has no choice "${request.choice}"`);
}
