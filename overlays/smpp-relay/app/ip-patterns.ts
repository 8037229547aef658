/**
 * Kannel's address patterns (`user-allow-ip`, `user-deny-ip`, `admin-allow-ip`...): a
 * `;`-separated list of IPv4 addresses where `*` stands for one or more characters up to the
 * next dot (gwlib/utils.c, pattern_matches_ip()). Written here because no library speaks this
 * exact dialect, and the relay must accept the same lists as the Kannel it replaces.
 */

/** Whether one pattern matches the address. */
function matchesPattern(pattern: string, ip: string): boolean {
  let i = 0;
  let j = 0;
  while (i < pattern.length && j < ip.length) {
    if (pattern[i] === ip[j]) {
      i += 1;
      j += 1;
    } else if (pattern[i] !== '*') {
      return false;
    } else {
      i += 1;
      while (j < ip.length && ip[j] !== '.') j += 1;
    }
  }
  return i >= pattern.length && j >= ip.length;
}

/** Whether any pattern of the list matches. */
export function patternListMatches(list: string, ip: string): boolean {
  return list.split(';').some((pattern) => matchesPattern(pattern.trim(), ip));
}

/**
 * Kannel's is_allowed_ip(): no deny list means everyone; the allow list wins over the deny
 * list; an address the deny list names is refused; anything else is let in.
 */
export function isAllowedIp(allow: string | undefined, deny: string | undefined, ip: string): boolean {
  if (!deny) return true;
  if (allow && patternListMatches(allow, ip)) return true;
  return !patternListMatches(deny, ip);
}

/** The IPv4 form of a socket's remote address (Node gives `::ffff:a.b.c.d` on dual-stack sockets). */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
