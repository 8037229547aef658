/**
 * The HTTP API of one worker:
 *   POST /votes                 a vote (JSON or a form): 202 once it is on disk, else 4xx/503
 *   OPTIONS *                   CORS preflight for the page's origins
 *   GET  /polls                 the polls and their choices (for a page on a CDN)
 *   GET  /polls/ID/results      the poll's counts, read at most a second before
 *   GET  /healthz               200 while votes are taken, 503 when they are not
 *   GET  /metrics               Prometheus text format, for the whole server
 *   GET  /                      a phone-sized page to try it out (when enabled)
 * Every vote answer is `{ok, message}`, the message one a page can show as it is; a 202 also
 * carries the vote's `id`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { limitRepeats, type Log } from '../../runtime/service-log.js';
import { Admission, type AdmissionLimits, type AdmissionRequest } from './admission.js';
import type { AdmissionClient } from './cluster-channel.js';
import type { VoteConfig } from './config.js';
import type { CorsPolicy } from './cors.js';
import type { Batcher } from './batcher.js';
import type { Metrics } from './metrics.js';
import { clientAddressOf, readBody } from './request-body.js';
import type { ResultsCache } from './results.js';
import { keyedVoteId, newVoteId } from './vote-id.js';
import { checkAgainstPolls, parseVoteRequest, VoteRefusal, type PollIndex, type VoteRequest } from './vote-request.js';
import { StoreUnavailableError, type VoteStore } from './vote-store.js';

export interface VoteHttpDeps {
  config: VoteConfig;
  polls: PollIndex;
  cors: CorsPolicy;
  admission: AdmissionClient;
  /** Where a vote is written (resolves once it is on disk); the batcher is told of each. */
  store: Pick<VoteStore, 'accept'>;
  batcher: Pick<Batcher, 'nudge'>;
  results: ResultsCache;
  metrics: Metrics;
  /** /metrics' text and /healthz' body for the whole server. */
  metricsText(): Promise<string>;
  health(): Promise<{ ok: boolean; problems: string[] } & Record<string, unknown>>;
  /** The page's HTML; undefined when the page is off. */
  page?: string;
  log: Log;
  now?: () => number;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const RESULTS_PATH = /^\/polls\/([^/]+)\/results$/;

/** The request handler of one worker. */
export function createVoteHandler(deps: VoteHttpDeps): RequestListener {
  const now = deps.now ?? Date.now;
  const failures = limitRepeats(deps.log, 'request failed');
  const limits: AdmissionLimits = deps.config.limits;
  const retryAfter = { 'Retry-After': String(deps.config.retryAfterSeconds) };

  /** Answers a vote; everything it throws is a VoteRefusal or a bug. */
  async function vote(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    const body = await readBody(req, deps.config.limits.maxBodyBytes);
    const request = parseVoteRequest({ body, contentType: req.headers['content-type'], idempotencyKey: req.headers['idempotency-key'] });
    const at = now();
    checkAgainstPolls(request, deps.polls, at);
    const address = clientAddressOf(req, deps.config.clientAddressHeader);
    const asked = admissionRequestOf(request, address);
    const verdict = Admission.needed(limits, request) ? await deps.admission.admit(asked) : { ok: true as const, duplicate: false };
    if (!verdict.ok) throw refusalOf(verdict.reason, verdict.retryAfterSeconds);
    const id = request.key === undefined ? newVoteId(at) : keyedVoteId(request.poll, request.key);
    try {
      await deps.store.accept({ id, poll: request.poll, choice: request.choice, ...(request.voter === undefined ? {} : { voter: request.voter }), address, at });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      if (!verdict.duplicate) deps.admission.refund(asked);
      throw new VoteRefusal(503, 'unavailable', `votes cannot be taken right now (${error.message}); try again in ${deps.config.retryAfterSeconds} s`, retryAfter);
    }
    deps.metrics.accepted();
    deps.batcher.nudge();
    const label = deps.polls.get(request.poll)!.poll.choices.find((choice) => choice.id === request.choice)!.label;
    send(res, 202, { ok: true, message: `Thank you! Your vote for ${label} is in.`, id }, cors);
  }

  async function results(res: ServerResponse, pollId: string, cors: Record<string, string>): Promise<void> {
    const entry = deps.polls.get(decodeOr(pollId));
    if (!entry) return send(res, 404, { ok: false, message: `there is no poll "${pollId}"` }, cors);
    try {
      send(res, 200, { ok: true, ...(await deps.results.get(entry.poll)) }, cors);
    } catch {
      send(res, 503, { ok: false, message: 'the results cannot be read right now; try again in a few seconds' }, { ...cors, ...retryAfter });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const cors = deps.cors.headersFor(req.headers.origin);
    if (req.method === 'OPTIONS') {
      const answer = deps.cors.preflight({ origin: req.headers.origin, method: req.headers['access-control-request-method'], requestHeaders: req.headers['access-control-request-headers'] });
      res.writeHead(answer.status, { ...answer.headers, 'Content-Length': '0' });
      return void res.end();
    }
    if (path === '/votes') {
      if (req.method !== 'POST') return send(res, 405, { ok: false, message: 'send votes with POST' }, { ...cors, Allow: 'POST, OPTIONS' });
      try {
        return await vote(req, res, cors);
      } catch (error) {
        if (!(error instanceof VoteRefusal)) throw error;
        deps.metrics.rejected(error.reason);
        return send(res, error.status, { ok: false, message: error.message, reason: error.reason }, { ...cors, ...error.headers });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { ok: false, message: `${req.method} is not answered here` }, { Allow: 'GET' });
    const match = RESULTS_PATH.exec(path);
    if (match) return results(res, match[1]!, cors);
    if (path === '/polls') return send(res, 200, { ok: true, polls: deps.config.polls.map(({ id, title, choices }) => ({ id, title, choices })) }, cors);
    if (path === '/healthz') {
      const health = await deps.health();
      return send(res, health.ok ? 200 : 503, health);
    }
    if (path === '/metrics') {
      const text = await deps.metricsText();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
      return void res.end(text);
    }
    if (path === '/' && deps.page !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(deps.page), 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      return void res.end(deps.page);
    }
    send(res, 404, { ok: false, message: `nothing at ${path}` }, cors);
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      failures.error(`${req.method} ${req.url}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, { ok: false, message: 'something went wrong on the server; try again' });
      else res.destroy();
    });
  };
}

/** A path segment decoded, or as it is when it is no valid percent-encoding (decodeURIComponent throws URIError). */
function decodeOr(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function admissionRequestOf(request: VoteRequest, address: string): AdmissionRequest {
  return {
    address,
    ...(request.voter === undefined ? {} : { voter: `${request.poll}\0${request.voter}` }),
    ...(request.key === undefined ? {} : { key: `${request.poll}\0${request.key}` }),
    fingerprint: `${request.poll}\0${request.choice}\0${request.voter ?? ''}`,
  };
}

function refusalOf(reason: 'voter_limit' | 'address_limit' | 'key_conflict', retryAfterSeconds?: number): VoteRefusal {
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
  if (reason === 'key_conflict') return new VoteRefusal(422, reason, 'this Idempotency-Key was already used for a different vote; send a new key for a new vote');
  const who = reason === 'voter_limit' ? 'from you in this poll' : 'from your network';
  return new VoteRefusal(429, reason, `that is as many votes ${who} as we take for now; try again in ${retryAfterSeconds ?? 60} s`, headers);
}
