/**
 * The admin API, JSON in and out:
 *   GET /health                  200 {"status":"ok"}, no login
 *   GET /domains                 200 {"domains":[...]}
 *   PUT /domains/{name}          200 {"added":[...],"alreadyBlocked":[...]}
 *   DELETE /domains/{name}       200 {"removed":[...],"notBlocked":[...]}
 *   POST /domains {"add":[...],"remove":[...]}   200 with all four lists
 * A body must be declared `Content-Type: application/json` (415 otherwise), and a browser
 * request made for another site (Origin or Sec-Fetch-Site) is 403: request-policy.ts.
 * 400 invalid names (nothing applied), 401 no or wrong login, 404, 405, 413 body or batch too
 * large, 429 too many failed logins from the address, 503 too many logins waiting for their
 * password check (both with Retry-After), 502 nsupdate or dig failed (what a failed update had
 * applied is taken back; the message says whether that worked).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from './auth.js';
import type { Blocklist, ChangeResult } from './blocklist.js';
import { checkDomains, describeInvalid } from './domain.js';
import { HttpError, readJsonBody, sendError, sendJson } from '../../runtime/http.js';
import { checkJsonBody, checkSameOrigin } from './request-policy.js';
import type { Log } from '../../runtime/service-log.js';
import { UpdateError } from './updater.js';
import type { Change } from './zone.js';

export interface ApiOptions {
  blocklist: Blocklist;
  authenticate: Authenticator;
  /** The policy zone, which no name may be in. */
  zone: string;
  log: Log;
  /** Largest request body, in bytes; 1 MiB by default. */
  maxBodyBytes?: number;
  /** Most names in one POST /domains; 10,000 by default. */
  maxBatch?: number;
}

/** The body {"add": [...], "remove": [...]} nests two deep; a little room for a clearer message than "too deep". */
const MAX_DEPTH = 8;

type Target = { route: 'health' } | { route: 'domains' } | { route: 'domain'; name: string };

const METHODS: Record<Target['route'], string[]> = { health: ['GET', 'HEAD'], domains: ['GET', 'POST'], domain: ['PUT', 'DELETE'] };

/** The route of a path; undefined when there is none. */
function findTarget(pathname: string): Target | undefined {
  if (pathname === '/health') return { route: 'health' };
  if (pathname === '/domains') return { route: 'domains' };
  const match = /^\/domains\/([^/]+)$/.exec(pathname);
  if (!match) return undefined;
  try {
    return { route: 'domain', name: decodeURIComponent(match[1]!) };
  } catch {
    throw new HttpError(400, 'the domain in the path is not valid percent-encoding');
  }
}

/** A few names for a log line. */
const sample = (names: readonly string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '));

/** The names of a request checked, all or none: a 400 names every bad entry. */
function checkedNames(entries: readonly unknown[], zone: string): string[] {
  const { domains, invalid } = checkDomains(entries, zone);
  if (invalid.length === 0) return domains;
  const first = describeInvalid(invalid[0]!);
  const more = invalid.length > 1 ? ` (and ${invalid.length - 1} more invalid)` : '';
  throw new HttpError(400, `invalid domain name: ${first}${more}; nothing was changed`, { details: { invalid } });
}

/** POST /domains's body, as a change of checked names. */
function batchOf(body: unknown, options: ApiOptions): Change {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object {"add": [...], "remove": [...]}');
  const unknown = Object.keys(body).filter((key) => key !== 'add' && key !== 'remove');
  if (unknown.length > 0) throw new HttpError(400, `unknown field ${JSON.stringify(unknown[0])}; the body takes "add" and "remove"`);
  const { add = [], remove = [] } = body as { add?: unknown; remove?: unknown };
  if (!Array.isArray(add) || !Array.isArray(remove)) throw new HttpError(400, '"add" and "remove" must be arrays of domain names');
  const maxBatch = options.maxBatch ?? 10_000;
  if (add.length + remove.length > maxBatch) throw new HttpError(413, `${add.length + remove.length} names in one batch; at most ${maxBatch} are allowed`);
  const change = { add: checkedNames(add, options.zone), remove: checkedNames(remove, options.zone) };
  const both = change.add.find((domain) => change.remove.includes(domain));
  if (both) throw new HttpError(400, `${both} is both in "add" and in "remove"; nothing was changed`);
  return change;
}

/** Logs in the caller, or throws the 401/429/503 answer. */
async function logIn(req: IncomingMessage, options: ApiOptions, signal: AbortSignal): Promise<string> {
  const client = req.socket.remoteAddress ?? 'unknown';
  const outcome = await options.authenticate({ authorization: req.headers.authorization, client, signal });
  if (outcome.kind === 'ok') return `${JSON.stringify(outcome.user)} from ${client}`;
  if (outcome.kind === 'limited') {
    throw new HttpError(429, `too many failed logins from ${client}; try again in ${outcome.retryAfter} s`, { headers: { 'Retry-After': String(outcome.retryAfter) } });
  }
  // nobody hears this one: the handler closes the connection the client has left
  if (outcome.kind === 'abandoned') throw new HttpError(503, 'the client closed the connection');
  if (outcome.kind === 'busy') {
    throw new HttpError(503, `too many logins are being checked; try again in ${outcome.retryAfter} s`, { headers: { 'Retry-After': String(outcome.retryAfter) } });
  }
  if (outcome.kind === 'wrong') options.log.warn(`api: failed login as ${JSON.stringify(outcome.user)} from ${client}`);
  const challenge = { 'WWW-Authenticate': 'Basic realm="McDebian DNS blacklist", charset="UTF-8"' };
  throw new HttpError(401, outcome.kind === 'wrong' ? 'wrong user name or password' : 'log in with HTTP Basic authentication', { headers: challenge });
}

/** Applies a change and logs who changed what. */
async function applyChange(change: Change, who: string, options: ApiOptions): Promise<ChangeResult> {
  const result = await options.blocklist.change(change);
  if (result.added.length > 0) options.log.info(`api: ${who} blocked ${result.added.length}: ${sample(result.added)}`);
  if (result.removed.length > 0) options.log.info(`api: ${who} unblocked ${result.removed.length}: ${sample(result.removed)}`);
  return result;
}

/** Answers one request; throws HttpError for anything but success. `closed` aborts when the client goes. */
async function route(req: IncomingMessage, res: ServerResponse, options: ApiOptions & { closed: AbortSignal }): Promise<void> {
  const method = req.method ?? 'GET';
  const target = findTarget(new URL(req.url ?? '/', 'http://api').pathname);
  if (!target) throw new HttpError(404, 'no such route; the API has /health, /domains and /domains/{name}');
  const allowed = METHODS[target.route];
  if (!allowed.includes(method)) throw new HttpError(405, `${method} is not allowed here`, { headers: { Allow: allowed.join(', ') } });
  if (target.route === 'health') return sendJson(res, 200, { status: 'ok' });
  // refused before the login: a request sent for another site must not cost a scrypt
  checkSameOrigin(req, 'encrypted' in req.socket ? 'https' : 'http');
  checkJsonBody(req, { required: target.route === 'domains' && method === 'POST' });
  const who = await logIn(req, options, options.closed);
  if (target.route === 'domains' && method === 'GET') return sendJson(res, 200, { domains: await options.blocklist.list() });
  if (target.route === 'domains') {
    const body = await readJsonBody(req, { maxBytes: options.maxBodyBytes ?? 1024 * 1024, maxDepth: MAX_DEPTH });
    const { added, alreadyBlocked, removed, notBlocked } = await applyChange(batchOf(body, options), who, options);
    return sendJson(res, 200, { added, alreadyBlocked, removed, notBlocked });
  }
  const names = checkedNames([target.name], options.zone);
  if (method === 'PUT') {
    const { added, alreadyBlocked } = await applyChange({ add: names, remove: [] }, who, options);
    return sendJson(res, 200, { added, alreadyBlocked });
  }
  const { removed, notBlocked } = await applyChange({ add: [], remove: names }, who, options);
  return sendJson(res, 200, { removed, notBlocked });
}

/** The API's request handler. */
export function createApiHandler(options: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const closed = new AbortController();
    // 'close' comes when the answer is done or when the connection went before it was
    res.once('close', () => {
      if (!res.writableFinished) closed.abort();
    });
    route(req, res, { ...options, closed: closed.signal }).catch((error: unknown) => {
      // logged even when nobody is left to answer: a failed update matters to the admin later
      if (error instanceof UpdateError) options.log.error(`api: ${error.message}`);
      else if (!(error instanceof HttpError)) options.log.error(`api: ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      if (res.headersSent || closed.signal.aborted) return void res.destroy();
      if (error instanceof HttpError) return sendError(res, error);
      if (error instanceof UpdateError) return sendJson(res, 502, { error: error.message });
      return sendJson(res, 500, { error: 'internal error; see the service log' });
    });
  };
}
