/**
 * The URLs the relay fetches (DLR URLs): which it will fetch at all, and how one shows in a log
 * line. Kannel takes any dlr-url of 8 characters or more starting http:// or https:// (smsbox.c,
 * smsbox_req_handle()), so "http:///" passes and fails at every try.
 */

/** Why a URL cannot be fetched (a phrase: "has no host"), or undefined for an absolute http(s) URL with a host. */
export function httpUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL with a host';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `is ${parsed.protocol} not http: or https:`;
  // WHATWG parsing skips any number of slashes after http: ("http:///dlr" is host "dlr"); no host was written there
  if (parsed.hostname === '' || !/^https?:\/\/[^/\\?#]/i.test(url)) return 'has no host';
  return undefined;
}

/** Query parameters whose values are credentials more often than not. */
const SECRET_PARAMETER = /([?&][^=&#]*(?:pass|pwd|secret|token|key|auth|sig)[^=&#]*=)[^&#]*/gi;

/**
 * A URL as a log line may show it: a user and password before the host, and the values of
 * query parameters named like credentials (password=, api_key=, token=...), as ***. Works on
 * the text, so a URL that does not parse is shown safely too.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@').replace(SECRET_PARAMETER, '$1***');
}
