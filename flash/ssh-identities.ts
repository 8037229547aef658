/**
 * The keys an SSH login to a device offers, found where OpenSSH finds them: the key given with
 * --identity alone; otherwise the private halves of the public keys the config authorizes
 * (keys/admin.pub -> keys/admin: the image lets exactly those in), every key the ssh-agent
 * holds (SSH_AUTH_SOCK), and the identity files OpenSSH would try for the host
 * (openssh-config.ts). Each is offered once (the same key from the agent and a file counts
 * once), in that order. What was looked at and passed over is kept, so that a login no key
 * opens says which keys were tried and why others were not.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import ssh2, { type ParsedKey, type SignCallback, type SigningRequestOptions } from 'ssh2';
import { UserError } from '../build/core/errors.js';
import { expandIdentityPath, readOpenSshIdentities, type OpenSshIdentities } from './openssh-config.js';

/** A private key file to offer, and how to name it in messages. */
export interface KeyFile {
  path: string;
  /** e.g. "keys/admin (the private half of users[].authorizedKeys keys/admin.pub)". */
  label: string;
}

/** Where to look. */
export interface IdentitySearch {
  /** --identity: this key and no other. */
  identity?: string;
  /** Offered first (flash sftp: the private halves of the config's users[].authorizedKeys). */
  keyFiles?: readonly KeyFile[];
  /** The ssh-agent's socket; none (or empty): no agent. */
  agentSocket?: string;
  /** What OpenSSH would offer this host; `~` in it stands for `home`. */
  openSsh: OpenSshIdentities;
  home: string;
  /** For the % tokens of identity files. */
  target: { host: string; port: number; user: string };
}

/** One key to offer: a private key read from a file, or one the ssh-agent signs with. */
export type Identity =
  | { kind: 'file'; label: string; fingerprint: string; key: ParsedKey }
  | { kind: 'agent'; label: string; fingerprint: string; agent: InstanceType<typeof ssh2.BaseAgent<ParsedKey>> };

/** Something looked at and not offered, and why. */
export interface PassedOver {
  /** "~/.ssh/id_rsa", "the ssh-agent". */
  what: string;
  /** "no such file", "encrypted with a passphrase (...)". */
  why: string;
}

export interface FoundIdentities {
  identities: Identity[];
  passedOver: PassedOver[];
}

const NO_SUCH_FILE = 'no such file';

/** One line per thing passed over, the files that do not exist together on one line. */
export function describePassedOver(passedOver: readonly PassedOver[]): string[] {
  const absent = passedOver.filter((entry) => entry.why === NO_SUCH_FILE).map((entry) => entry.what);
  return [
    ...passedOver.filter((entry) => entry.why !== NO_SUCH_FILE).map((entry) => `${entry.what}: ${entry.why}`),
    ...(absent.length > 0 ? [`${absent.join(', ')}: ${absent.length === 1 ? 'does' : 'do'} not exist`] : []),
  ];
}

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** An agent that offers one of another agent's keys, so each agent key is tried, and named, on its own. */
class OneKeyAgent extends ssh2.BaseAgent<ParsedKey> {
  constructor(private readonly agent: ssh2.OpenSSHAgent, private readonly key: ParsedKey) {
    super();
  }

  getIdentities(callback: (error: Error | undefined, keys?: ParsedKey[]) => void): void {
    callback(undefined, [this.key]);
  }

  sign(key: ParsedKey, data: Buffer, options: SigningRequestOptions, callback?: SignCallback): void;
  sign(key: ParsedKey, data: Buffer, callback: SignCallback): void;
  sign(key: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, callback?: SignCallback): void {
    if (typeof options === 'function') this.agent.sign(key, data, options);
    else this.agent.sign(key, data, options, callback);
  }
}

/** The agent's keys, or why there are none. */
async function readAgent(socket: string | undefined): Promise<{ identities: Identity[]; passedOver: PassedOver[] }> {
  const what = 'the ssh-agent';
  if (!socket) return { identities: [], passedOver: [{ what, why: 'SSH_AUTH_SOCK is not set' }] };
  const agent = new ssh2.OpenSSHAgent(socket);
  // OpenSSHAgent parses what the agent lists into ParsedKeys
  const keys = await new Promise<ParsedKey[] | Error>((resolve) => agent.getIdentities((error, found) => resolve(error ?? (found ?? []) as ParsedKey[])));
  if (keys instanceof Error) return { identities: [], passedOver: [{ what, why: `it does not answer at SSH_AUTH_SOCK=${socket} (${keys.message})` }] };
  if (keys.length === 0) return { identities: [], passedOver: [{ what, why: 'it holds no keys (ssh-add adds one)' }] };
  return {
    identities: keys.map((key) => {
      const print = fingerprint(key.getPublicSSH());
      return { kind: 'agent', label: `the ssh-agent's ${key.type} key ${print}${key.comment ? ` (${key.comment})` : ''}`, fingerprint: print, agent: new OneKeyAgent(agent, key) };
    }),
    passedOver: [],
  };
}

/** A private key file, or why it cannot be offered. */
async function readKeyFile(file: KeyFile): Promise<Identity | PassedOver> {
  const data = await readFile(file.path).catch((error: NodeJS.ErrnoException) => error);
  const what = file.label;
  if (data instanceof Error) return { what, why: data.code === 'ENOENT' ? NO_SUCH_FILE : data.message };
  // an OpenSSH private key file may hold several keys: ssh2 then returns an array
  const parsed = ssh2.utils.parseKey(data) as ParsedKey | ParsedKey[] | Error;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || key === undefined) {
    const why = key?.message ?? 'not a key';
    if (/encrypted/i.test(why)) return { what, why: `encrypted with a passphrase (load it into the agent: ssh-add ${file.path})` };
    if (/sk-|security key/i.test(why) || /_sk$/.test(file.path)) return { what, why: `a FIDO security key, which only the ssh-agent can use here (ssh-add ${file.path})` };
    return { what, why: `not a private key ssh2 reads (${why})` };
  }
  if (!key.isPrivateKey()) return { what, why: 'a public key, not a private one' };
  return { kind: 'file', label: file.label, fingerprint: fingerprint(key.getPublicSSH()), key };
}

/** The identity files OpenSSH would try, named as written (`~/.ssh/id_rsa`). */
function openSshKeyFiles(search: IdentitySearch): { files: KeyFile[]; passedOver: PassedOver[] } {
  const files: KeyFile[] = [];
  const passedOver: PassedOver[] = [];
  for (const written of search.openSsh.files) {
    const path = expandIdentityPath(written, { home: search.home, host: search.target.host, port: search.target.port, remoteUser: search.target.user });
    if (path === undefined) passedOver.push({ what: written, why: 'a % token McDebian does not expand' });
    else files.push({ path, label: written });
  }
  return { files, passedOver };
}

/** Every key to offer, in order, each once; and what was passed over. */
export async function findIdentities(search: IdentitySearch): Promise<FoundIdentities> {
  if (search.identity) {
    const found = await readKeyFile({ path: search.identity, label: search.identity });
    if (!('kind' in found)) throw new UserError(`cannot use the identity ${found.what}: ${found.why}`, { hint: 'pass --identity an unencrypted private key, or leave it out to use the ssh-agent' });
    return { identities: [found], passedOver: [] };
  }
  const openSsh = openSshKeyFiles(search);
  const agent = search.openSsh.identitiesOnly
    ? { identities: [], passedOver: [{ what: 'the ssh-agent', why: 'IdentitiesOnly is set for this host (ssh -G)' }] }
    : await readAgent(search.agentSocket);
  const configured = await Promise.all((search.keyFiles ?? []).map(readKeyFile));
  const defaults = await Promise.all(openSsh.files.map(readKeyFile));
  const identities: Identity[] = [];
  const passedOver = [...openSsh.passedOver, ...agent.passedOver];
  for (const found of [...configured, ...agent.identities, ...defaults]) {
    if (!('kind' in found)) passedOver.push(found);
    else if (!identities.some((seen) => seen.fingerprint === found.fingerprint)) identities.push(found);
  }
  return { identities, passedOver };
}

/** Where OpenSSH would look for this host, then findIdentities. */
export async function findIdentitiesFor(target: { host: string; port: number; user: string }, options: Pick<IdentitySearch, 'identity' | 'keyFiles' | 'agentSocket' | 'home'>): Promise<FoundIdentities> {
  const openSsh = options.identity ? { files: [], identitiesOnly: true } : await readOpenSshIdentities(target);
  return findIdentities({ ...options, openSsh, target });
}
