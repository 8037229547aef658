/**
 * The tunnel key a build makes when the config names none, and the safety net around it: when
 * the previous build's far-side files show another key, the managed host trusts that one, so an
 * image with the new key could not call home. That is said loudly, with the old key's private
 * half when it is still somewhere under secrets/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { GenerateContext } from '../overlay.js';
import { fingerprintOf, generateKeyPair, parseHostKeys, publicKeyOf, type PublicKey } from './keys.js';

/** The file the far-side files hold the tunnel's public key in (render.ts writes it). */
export const FAR_SIDE_PUBLIC_KEY = 'tunnel-key.pub';

/** Names a tunnel key has under secrets/<config>/: the current pair and the one a rotation kept. */
const KEY_NAMES = ['callhome-tunnel-key', 'callhome-tunnel-key.old'];

/** Makes the key pair; returns the warnings of the safety net. */
export async function generateTunnelKey(file: string, options: GenerateContext & { comment: string }): Promise<string[]> {
  await generateKeyPair(file, options.comment);
  const trusted = await readFarSideKey(options.previousOutputs);
  if (trusted === undefined) return [];
  const made = publicKeyOf(await readFile(file, 'utf8'));
  if (made.base64 === trusted.base64) return [];
  const shown = (path: string) => relative(options.dir, path) || '.';
  const old = await findPrivateKey(trusted, join(options.dir, 'secrets'));
  const putBack = old === undefined ? '' : `put the old key back (mv ${shown(old)} ${shown(file)}, and its .pub) and build again, or `;
  return [
    `the previous build's ${shown(join(options.previousOutputs, FAR_SIDE_PUBLIC_KEY))} holds tunnel key ${fingerprintOf(trusted)}, which the managed host trusts; `
    + `this build generated a new key, ${fingerprintOf(made)}, at ${shown(file)}. A device flashed with this image cannot call home until the managed host trusts it: `
    + `${putBack}install the new far-side files on the managed host (mcdebian callhome install-host)`,
  ];
}

/** The public key in a previous build's far-side files, undefined when there are none. */
async function readFarSideKey(previousOutputs: string): Promise<PublicKey | undefined> {
  const text = await readFile(join(previousOutputs, FAR_SIDE_PUBLIC_KEY), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return parseHostKeys(text)[0];
  } catch {
    return undefined; // not a key (edited by hand): nothing to compare with
  }
}

/** A private key under secrets/<name>/ whose public half is `key`. */
async function findPrivateKey(key: PublicKey, secrets: string): Promise<string | undefined> {
  const names = await readdir(secrets).catch(() => [] as string[]);
  for (const name of names.sort()) {
    for (const candidate of KEY_NAMES.map((base) => join(secrets, name, base))) {
      const text = await readFile(candidate, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      try {
        if (publicKeyOf(text).base64 === key.base64) return candidate;
      } catch {
        // not a usable private key: not the one
      }
    }
  }
  return undefined;
}
