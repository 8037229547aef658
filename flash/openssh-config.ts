/**
 * Which identity files OpenSSH would offer a host, asked of OpenSSH itself: `ssh -G` prints the
 * configuration it would use (ssh(1): "-G Causes ssh to print its configuration after evaluating
 * Host and Match blocks and exit"), with the user's own IdentityFile and IdentitiesOnly lines
 * for that host, or the defaults ssh_config(5) lists under IdentityFile. `ssh -G` leaves `~` and
 * the % tokens as written; they are expanded here as ssh_config(5)'s TOKENS section says.
 */
import { userInfo, hostname } from 'node:os';
import { execa } from 'execa';

/** ssh_config(5), IdentityFile: "The default is ~/.ssh/id_rsa, ~/.ssh/id_ecdsa, ~/.ssh/id_ecdsa_sk, ~/.ssh/id_ed25519, ~/.ssh/id_ed25519_sk and ~/.ssh/id_dsa." */
export const DEFAULT_IDENTITY_FILES = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519', '~/.ssh/id_ed25519_sk', '~/.ssh/id_dsa'];

export interface OpenSshIdentities {
  /** Identity files in the order OpenSSH tries them, as written (`~/.ssh/id_rsa`). */
  files: string[];
  /** IdentitiesOnly: offer only these files, not every key the agent holds. */
  identitiesOnly: boolean;
}

/** The IdentityFile and IdentitiesOnly lines of `ssh -G` output. */
export function parseSshG(output: string): OpenSshIdentities {
  const files: string[] = [];
  let identitiesOnly = false;
  for (const line of output.split('\n')) {
    const [key, ...rest] = line.trim().split(' ');
    const value = rest.join(' ');
    if (key === 'identityfile' && value) files.push(value);
    else if (key === 'identitiesonly') identitiesOnly = value === 'yes';
  }
  return { files, identitiesOnly };
}

/** What the tokens of an IdentityFile stand for. */
export interface TokenValues {
  home: string;
  /** The remote host as given (%h) and the port (%p). */
  host: string;
  port: number;
  /** The remote user (%r). */
  remoteUser: string;
}

/**
 * `~/` and the tokens ssh_config(5) allows in IdentityFile that do not need OpenSSH's state:
 * %% %d %h %i %L %l %p %r %u. Undefined for a path with any other token (%C, %j, %k, %n), which
 * then is named as not tried rather than guessed at.
 */
export function expandIdentityPath(path: string, values: TokenValues): string | undefined {
  const local = hostname();
  const table: Record<string, string> = {
    '%': '%', d: values.home, h: values.host, i: String(userInfo().uid), L: local.split('.')[0]!, l: local,
    p: String(values.port), r: values.remoteUser, u: userInfo().username,
  };
  let unknown = false;
  const expanded = path.replace(/%(.)/g, (_, token: string) => table[token] ?? ((unknown = true), ''));
  if (unknown) return undefined;
  return expanded.startsWith('~/') ? `${values.home}${expanded.slice(1)}` : expanded;
}

/** What `ssh -G` says for the host; the ssh_config(5) defaults when ssh is not installed. */
export async function readOpenSshIdentities(target: { host: string; port: number; user: string }): Promise<OpenSshIdentities> {
  const result = await execa('ssh', ['-G', '-p', String(target.port), '-l', target.user, '--', target.host], { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) return { files: DEFAULT_IDENTITY_FILES, identitiesOnly: false };
  const parsed = parseSshG(String(result.stdout));
  return parsed.files.length > 0 ? parsed : { ...parsed, files: DEFAULT_IDENTITY_FILES };
}
