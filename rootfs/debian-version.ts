/**
 * Debian version order, as deb-version(7) defines it and apt applies it when several suites offer
 * a package: epoch numerically, then the upstream version, then the revision, each compared in
 * alternating runs of non-digits (letters before other characters, `~` before everything, even
 * the end) and digits (as numbers). Written here because `plan` compares a handful of versions
 * and must not need dpkg on the host; the fuzz test checks it against `dpkg --compare-versions`.
 */

interface ParsedVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

/** Splits `[epoch:]upstream[-revision]`: the epoch ends at the first colon, the revision starts after the last hyphen. */
function parseVersion(version: string): ParsedVersion {
  const colon = version.indexOf(':');
  const epoch = colon >= 0 ? version.slice(0, colon) : '0';
  const rest = colon >= 0 ? version.slice(colon + 1) : version;
  const hyphen = rest.lastIndexOf('-');
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: '' };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Weight of one character of a non-digit run; the end of the run weighs 0, like a digit. */
function weight(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** Compares two digit runs as numbers of any length, without converting them. */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares an upstream version or a revision: non-digit run, digit run, and again. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const difference = weight(a[i]) - weight(b[j]);
      if (difference !== 0) return difference;
      if (i < a.length && !isDigit(a[i])) i++;
      if (j < b.length && !isDigit(b[j])) j++;
    }
    const startA = i;
    const startB = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    const difference = compareNumbers(a.slice(startA, i), b.slice(startB, j));
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Negative when `a` sorts before `b`, positive after, zero when apt treats them as equal. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return Math.sign(compareNumbers(x.epoch, y.epoch) || compareFragment(x.upstream, y.upstream) || compareFragment(x.revision, y.revision));
}
