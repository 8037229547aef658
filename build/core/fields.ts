/**
 * Config fields that mcdebian.yaml's own schema and the overlays' schemas share, each with the
 * message a user needs to fix a bad value. Here, below both, so that build/config (which mounts
 * the overlays' schemas) and the overlays import them without depending on each other.
 */
import { isIP, isIPv4 } from 'node:net';
import { z } from 'zod';

/** RFC 1123 host name: labels of letters, digits and inner hyphens, each 1..63, total <= 253. */
export const hostname = z.string().refine(
  (name) => name.length <= 253 && name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label)),
  { message: 'must be a host name: letters, digits and inner hyphens, at most 63 characters per label' },
);

export const ipv4 = z.string().refine((text) => isIPv4(text), { message: 'must be an IPv4 address such as 192.168.1.1' });

export const ipv4Cidr = z.string().refine(
  (text) => {
    const [address, prefix, ...rest] = text.split('/');
    return rest.length === 0 && isIPv4(address ?? '') && /^\d{1,2}$/.test(prefix ?? '') && Number(prefix) <= 32;
  },
  { message: 'must be an IPv4 address with a prefix length, such as 192.168.1.1/24' },
);

/** A host name or an IP address (v4 or v6). */
export const hostOrAddress = z.union([z.string().refine((text) => isIP(text) !== 0), hostname], { error: 'must be a host name or an IP address' });

/** A TCP or UDP port. */
export const port = (what: string) => z.int().min(1).max(65535).describe(what);

/** Whole seconds within limits. */
export const seconds = (min: number, max: number, what: string) => z.int().min(min).max(max).describe(what);

/** A file the config names, relative to mcdebian.yaml; the loader reads it (secret or not, the overlay says). */
export const fileReference = (what: string) => z.string().min(1).describe(what);

/** A Unix user name (useradd's default NAME_REGEX). */
export const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'must be a Unix user name: lower-case letters, digits, _ and -' });
