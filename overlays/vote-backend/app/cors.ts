/**
 * CORS for the voting page's origins (the Fetch standard, "CORS protocol"): a page on another
 * origin (a CDN) may POST a JSON vote, which is not a "simple" request, so the browser first
 * sends an OPTIONS preflight with Access-Control-Request-Method and -Headers and posts only when
 * the answer allows both. Answers name the one origin that asked (never `*`, which would let any
 * site vote through its visitors' browsers) and say `Vary: Origin`, so a cache in between does
 * not hand one origin's answer to another.
 */

/** Request headers a page may send with a vote. */
const ALLOWED_HEADERS = ['content-type', 'idempotency-key'];
/** How long a browser may keep a preflight's answer (seconds); Chromium caps it at 7200. */
const MAX_AGE = '7200';

export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins.map((origin) => origin.toLowerCase()));
  }

  /** Whether an Origin header is one of the page's origins. */
  allows(origin: string | undefined): origin is string {
    return origin !== undefined && this.#origins.has(origin.toLowerCase());
  }

  /** Headers for an answer to a request from `origin` (none for an origin not allowed, or none at all). */
  headersFor(origin: string | undefined): Record<string, string> {
    if (!this.allows(origin)) return this.#origins.size > 0 ? { Vary: 'Origin' } : {};
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  }

  /**
   * The answer to a preflight: 204 with what is allowed, or 403 when the origin, the method or a
   * header is not (the browser then does not send the vote, and its console says why).
   */
  preflight(headers: { origin?: string; method?: string; requestHeaders?: string }): { status: number; headers: Record<string, string> } {
    const method = headers.method?.trim().toUpperCase();
    const asked = (headers.requestHeaders ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
    const ok = this.allows(headers.origin) && (method === 'POST' || method === 'GET') && asked.every((name) => ALLOWED_HEADERS.includes(name));
    if (!ok) return { status: 403, headers: { Vary: 'Origin' } };
    return {
      status: 204,
      headers: {
        ...this.headersFor(headers.origin),
        'Access-Control-Allow-Methods': 'POST, GET',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS.join(', '),
        'Access-Control-Max-Age': MAX_AGE,
      },
    };
  }
}
