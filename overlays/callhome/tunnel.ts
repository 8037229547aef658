/**
 * The tunnel as callhome's commands see it: the config's callhome section, its files, and the
 * managed host's side rendered exactly as `build` writes it to out/<board>/callhome/.
 */
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../../build/core/errors.js';
import { fileFor, type CommandHost, type LoadedConfig, type ReadFile } from '../overlay.js';
import { publicKeyOf, type PublicKey } from './keys.js';
import { renderCallhome } from './render.js';
import type { CallhomeConfig } from './schema.js';

export interface Tunnel {
  /** -c FILE as the user gave it, for the commands a message suggests. */
  given: string;
  loaded: LoadedConfig;
  config: CallhomeConfig;
  hostKey: ReadFile;
  privateKey: ReadFile;
  /** out/<board>/callhome/: where build writes the far side's files. */
  outputs: string;
  /** A path as the user wrote it: relative to the config's directory. */
  shown(path: string): string;
}

/** The files build writes for the managed host, from the tunnel's current key. */
export interface FarSideFiles {
  authorizedKeys: string;
  sshdConfig: string;
  publicKey: string;
}

/** Loads -c FILE as build checks it; refuses a config without callhome. */
export async function loadTunnel(host: CommandHost, options: { file: string; cwd: string }): Promise<Tunnel> {
  const loaded = await host.loadConfig(options);
  const entry = loaded.resolvedOverlays.find((resolved) => resolved.overlay.name === 'callhome');
  if (!entry) throw new UserError(`${options.file} has no overlays.callhome section`, { hint: 'callhome\'s commands work on a config that enables it' });
  return {
    given: options.file,
    loaded,
    config: entry.config as CallhomeConfig,
    hostKey: fileFor(entry.files, 'hostKey'),
    privateKey: fileFor(entry.files, 'privateKey'),
    outputs: resolve(loaded.dir, loaded.output, loaded.board.id, 'callhome'),
    shown: (path) => relative(loaded.dir, path) || '.',
  };
}

/** The far side's files as build renders them; refuses while the key is still to be generated. */
export function farSideFiles(tunnel: Tunnel, privateKey: ReadFile = tunnel.privateKey): FarSideFiles {
  if (privateKey.content === undefined) {
    throw new UserError(`the tunnel key ${tunnel.shown(privateKey.file)} does not exist yet`, {
      hint: `mcdebian build -c ${tunnel.given} generates it (or mcdebian callhome rotate-key -c ${tunnel.given})`,
    });
  }
  const { loaded } = tunnel;
  const render = renderCallhome(tunnel.config, [tunnel.hostKey, privateKey], { board: loaded.board, hostname: loaded.hostname, lanAddress: loaded.network.lan.address });
  const output = (path: string) => render.outputs.find((entry) => entry.path === path)?.content ?? '';
  return { authorizedKeys: output('authorized_keys'), sshdConfig: output('sshd_config'), publicKey: output('tunnel-key.pub') };
}

/** The key a rotation replaced (`<key>.old`), which the device uses until it runs the new image. */
export async function previousKeyOf(tunnel: Tunnel): Promise<PublicKey | undefined> {
  const text = await readFile(`${tunnel.privateKey.file}.old`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return publicKeyOf(text);
  } catch {
    return undefined; // not a usable key: no device can use it either
  }
}

/** The far side's files of the last build, undefined where it wrote none. */
export async function lastBuildFiles(tunnel: Tunnel): Promise<Partial<FarSideFiles>> {
  const read = (name: string) => readFile(join(tunnel.outputs, name), 'utf8').catch(() => undefined);
  return { authorizedKeys: await read('authorized_keys'), sshdConfig: await read('sshd_config'), publicKey: await read('tunnel-key.pub') };
}
