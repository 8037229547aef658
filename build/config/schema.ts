/**
 * The schema of mcdebian.yaml. Every object is strict, so an unknown key is an error (with a
 * "did you mean" from the loader); every refinement carries the message a user needs to fix it.
 */
import { z } from 'zod';
import { hostname, ipv4, ipv4Cidr, unixUser } from '../core/fields.js';
import { parseSize } from './size.js';

/** Debian package names (Debian Policy 5.6.1), optionally with an architecture qualifier. */
const debianPackage = z.string().regex(/^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/, {
  message: 'must be a Debian package name: lower-case letters, digits, + - . (Debian Policy 5.6.1)',
});

const mirrorUrl = z.string().refine((text) => /^https?:\/\/[^/\s]+(\/\S*)?$/.test(text), {
  message: 'must be an http:// or https:// URL of a Debian archive',
});

const size = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a size such as 2GiB, 512MiB or a byte count' });
    return z.NEVER;
  }
  return bytes;
});

/** An absolute path or glob in the image: no `..`, and only characters a shell glob passes as they are. */
export const keepPath = z.string().regex(/^\/[A-Za-z0-9._+@:*?/-]*$/, { message: 'must be an absolute path of letters, digits and ._+@:-/ (with * and ? as globs)' })
  .refine((path) => !path.split('/').includes('..'), { message: 'must not contain ..' });

const user = z.strictObject({
  name: unixUser,
  /** Files holding OpenSSH public keys, relative to mcdebian.yaml. */
  authorizedKeys: z.array(z.string().min(1)).min(1, { message: 'needs at least one public key file' }),
});

const wan = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('dhcp') }),
  z.strictObject({ mode: z.literal('static'), address: ipv4Cidr, gateway: ipv4 }),
]);

const network = z.strictObject({
  /** Router boards: the br0 address over lan1..lan4. */
  lan: z.strictObject({ address: ipv4Cidr.default('192.168.1.1/24') }).default({ address: '192.168.1.1/24' }),
  /** Router boards: the wan port. */
  wan: wan.default({ mode: 'dhcp' }),
  /** Resolvers when not learnt by DHCP. */
  dns: z.array(ipv4).default([]),
});

export const configSchema = z.strictObject({
  board: z.string().optional(),
  suite: z.string().regex(/^[a-z]+$/, { message: 'must be a Debian suite name such as trixie' }).default('trixie'),
  mirror: mirrorUrl.optional(),
  securityMirror: mirrorUrl.optional(),
  /**
   * Install from <suite>-updates and <suite>-security while building. The image's apt sources list
   * them either way; turn this off only for a mirror that carries the suite alone.
   */
  buildWithUpdates: z.boolean().default(true),
  packages: z.array(debianPackage).default([]),
  hostname: hostname.default('mcdebian'),
  users: z.array(user).default([]),
  network: network.default({ lan: { address: '192.168.1.1/24' }, wan: { mode: 'dhcp' }, dns: [] }),
  /** Replaced by configSchemaFor with one field per overlay; each overlay's schema checks its own. */
  overlays: z.record(z.string(), z.unknown()).default({}),
  /** Size of usb.img (armhf boards) or disk.img (x86-64). */
  image: z.strictObject({ size: size.default(2 * 1024 ** 3) }).default({ size: 2 * 1024 ** 3 }),
  output: z.string().min(1).default('out'),
  /** A tree of the user's own files copied over the layer, modes kept (OpenWrt's FILES=, mkosi's ExtraTrees=). */
  files: z.string().min(1).optional(),
  /** What `mcdebian flash sftp --rootfs` carries over from the device's old root filesystem. */
  flash: z.strictObject({
    /** Paths (shell globs) beside the defaults (SSH host keys, machine-id, /var/lib/bind). */
    keep: z.array(keepPath).default([]),
  }).default({ keep: [] }),
});

/**
 * The top level with `overlays:` holding exactly the given overlays' names. Each section is left to
 * its overlay's own schema, checked apart (build/config/sections.ts), so that an error in one part
 * of the file does not hide the checks of another.
 */
export function configSchemaFor(overlays: readonly { name: string }[]) {
  const fields = Object.fromEntries(overlays.map((overlay) => [overlay.name, z.unknown().optional()]));
  return configSchema.extend({ overlays: z.strictObject(fields).default({}) as unknown as typeof configSchema.shape.overlays });
}

/** mcdebian.yaml as written, with defaults filled in. */
export type ConfigFile = z.output<typeof configSchema>;
