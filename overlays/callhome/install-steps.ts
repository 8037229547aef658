/**
 * install-host's changes on the managed host, in order: the tunnel user, its authorized_keys,
 * then the sshd_config lines, which `sshd -t` must accept before `systemctl reload ssh` (sshd(8):
 * -t checks the configuration and the keys). A configuration sshd refuses is put back as it was,
 * so the running sshd and the next one read the same files.
 */
import { UserError } from '../../build/core/errors.js';
import type { AuthorizedKeysPlan } from './far-side.js';
import { createTunnelUser, homeOf, makePrivateDir, SSHD, writeRemoteFile, type ManagedHost } from './managed-host.js';

/** What the host has and what must change. */
export interface InstallPlan {
  user: string;
  /** The user's home; undefined when the user does not exist yet. */
  home?: string;
  keysPath: string;
  keys: AuthorizedKeysPlan;
  snippetPath: string;
  snippet: {
    /** What the host has, undefined when it has no such file. */
    current?: string;
    wanted: string;
    /** The host has other lines there. */
    conflict: boolean;
    writes: boolean;
  };
}

export interface InstallDone {
  created: boolean;
  home?: string;
  reloaded: boolean;
  warnings: string[];
}

export async function applyInstall(host: ManagedHost, plan: InstallPlan): Promise<InstallDone> {
  const home = plan.home ?? await createUser(host, plan.user);
  if (plan.keys.content !== undefined) {
    await makePrivateDir(host, `${home}/.ssh`, `${plan.user}:`);
    await writeRemoteFile(host, `${home}/.ssh/authorized_keys`, { content: plan.keys.content, owner: `${plan.user}:`, mode: '600' });
  }
  let reloaded = false;
  if (plan.snippet.writes) {
    await writeRemoteFile(host, plan.snippetPath, { content: plan.snippet.wanted, owner: 'root:root', mode: '644' });
    await checkSshd(host, plan);
    await host.must(['systemctl', 'reload', 'ssh'], 'reloading sshd (its configuration passed sshd -t)');
    reloaded = true;
  }
  return { created: plan.home === undefined, home, reloaded, warnings: await effectiveWarnings(host, plan) };
}

async function createUser(host: ManagedHost, user: string): Promise<string> {
  await createTunnelUser(host, user);
  const home = await homeOf(host, user);
  if (home === undefined) throw new UserError(`useradd made no user ${user} on ${host.where}`);
  return home;
}

/** `sshd -t` on the whole configuration; on refusal, the file is put back and the error shows why. */
async function checkSshd(host: ManagedHost, plan: InstallPlan): Promise<void> {
  const check = await host.run([SSHD, '-t']);
  if (check.code === 0) return;
  if (plan.snippet.current === undefined) await host.must(['rm', '-f', plan.snippetPath], `removing ${plan.snippetPath}`);
  else await writeRemoteFile(host, plan.snippetPath, { content: plan.snippet.current, owner: 'root:root', mode: '644' });
  throw new UserError(`sshd -t refuses ${host.where}'s sshd configuration with ${plan.snippetPath}; it was put back as it was and ssh was not reloaded:\n${(check.stderr || check.stdout).trim()}`, {
    hint: `fix what sshd -t names on ${host.where}, then run install-host again`,
  });
}

/**
 * Whether sshd applies the lines to the tunnel user: `sshd -T -C` prints the settings a login
 * of that user would get. They are missing when sshd_config has no Include of sshd_config.d,
 * or an earlier file sets them (sshd takes the first value it reads).
 */
async function effectiveWarnings(host: ManagedHost, plan: InstallPlan): Promise<string[]> {
  const result = await host.run([SSHD, '-T', '-C', `user=${plan.user},host=localhost,addr=127.0.0.1`]);
  const effective = new Set(result.stdout.split('\n').map((line) => line.trim().toLowerCase()));
  const wanted = plan.snippet.wanted.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#') && !/^match /i.test(line));
  const missing = wanted.filter((line) => !effective.has(line.replace(/\s+/, ' ').toLowerCase()));
  if (result.code === 0 && missing.length === 0) return [];
  return [`sshd on ${host.where} does not apply ${plan.snippetPath} to ${plan.user} (sshd -T -C user=${plan.user} lacks: ${missing.join('; ')}): its sshd_config must Include /etc/ssh/sshd_config.d/*.conf before any Match block, and no earlier file may set these`];
}
