/**
 * `mcdebian callhome install-host --host HQ -c FILE`: puts the managed host's side of the tunnel
 * in place over SSH, as the build wrote it: the tunnel user (created when missing), its
 * authorized_keys line, and the sshd_config lines in /etc/ssh/sshd_config.d/, checked with
 * `sshd -t` before `systemctl reload ssh` (a config sshd refuses is taken back, and the running
 * sshd keeps its own). Running it again changes nothing. What the host has that differs (another
 * key on the tunnel's port, other sshd_config lines) is listed, and replaced only with --force.
 */
import { UserError } from '../../build/core/errors.js';
import { writeJson, type CommandContext, type ExitCode } from '../../build/core/command.js';
import type { CommandHost } from '../overlay.js';
import { planAuthorizedKeys, sshdSnippetPath } from './far-side.js';
import { applyInstall, type InstallDone, type InstallPlan } from './install-steps.js';
import { connectTrusted, type TrustOptions } from './host-trust.js';
import { homeOf, openManagedHost, readRemoteFile, type ManagedHost } from './managed-host.js';
import { farSideFiles, lastBuildFiles, loadTunnel, previousKeyOf, type FarSideFiles, type Tunnel } from './tunnel.js';

export interface InstallHostOptions extends TrustOptions {
  /** -c FILE as given. */
  file: string;
  host: string;
  /** The login user on the managed host (root, or one that may sudo without a password). */
  login: string;
  dryRun: boolean;
  force: boolean;
  json: boolean;
}

/** What install-host found and did (its --json). */
export interface InstallReport {
  host: string;
  port: number;
  login: string;
  hostKey: string;
  dryRun: boolean;
  user: { name: string; home?: string; created: boolean };
  authorizedKeys: { path: string; added: boolean; kept: string[]; removed: string[] };
  sshdConfig: { path: string; written: boolean };
  /** `sshd -t` passed on the new sshd_config lines; `systemctl reload ssh` ran. */
  reloaded: boolean;
  warnings: string[];
}

export async function runInstallHost(context: CommandContext, host: CommandHost, options: InstallHostOptions): Promise<ExitCode> {
  const tunnel = await loadTunnel(host, { file: options.file, cwd: context.cwd });
  const wanted = farSideFiles(tunnel);
  const shell = await connectTrusted(host, tunnel, options);
  try {
    const managed = await openManagedHost(shell, `${options.login}@${options.host}`);
    const plan = await planInstall(managed, tunnel, wanted, options);
    refuseConflicts(plan, options);
    const done = options.dryRun ? { created: false, home: plan.home, reloaded: false, warnings: [] } : await applyInstall(managed, plan);
    const report = reportOf(plan, { ...options, port: tunnel.config.port, hostKey: shell.hostKey.fingerprint, ...done });
    report.warnings.push(...lastBuildWarnings(tunnel, wanted, await lastBuildFiles(tunnel)), ...done.warnings);
    if (options.json) writeJson(context, report);
    else context.stdout.write(formatInstall(report));
    return 0;
  } finally {
    await shell.end();
  }
}

/** What the host has, and what must change. */
async function planInstall(managed: ManagedHost, tunnel: Tunnel, wanted: FarSideFiles, options: InstallHostOptions): Promise<InstallPlan> {
  const user = tunnel.config.user;
  const home = await homeOf(managed, user);
  if (home !== undefined && (await managed.run(['test', '-d', home])).code !== 0) {
    throw new UserError(`user ${user} on ${options.host} has no home directory (${home}), where sshd looks for its authorized_keys`, {
      hint: `give it one (usermod -d /home/${user} -m ${user}), or set overlays.callhome.user to a user of its own`,
    });
  }
  const keysPath = home === undefined ? `~${user}/.ssh/authorized_keys` : `${home}/.ssh/authorized_keys`;
  const current = home === undefined ? '' : await readRemoteFile(managed, keysPath) ?? '';
  const previous = await previousKeyOf(tunnel);
  const snippetPath = sshdSnippetPath(user);
  const snippet = await readRemoteFile(managed, snippetPath);
  return {
    user,
    home,
    keysPath,
    keys: planAuthorizedKeys(current, { line: wanted.authorizedKeys, remotePort: tunnel.config.remotePort, previousKey: previous?.base64, force: options.force }),
    snippetPath,
    snippet: { current: snippet, wanted: wanted.sshdConfig, conflict: snippet !== undefined && snippet !== wanted.sshdConfig, writes: snippet !== wanted.sshdConfig },
  };
}

function refuseConflicts(plan: InstallPlan, options: InstallHostOptions): void {
  if (options.force) return;
  const lines = plan.keys.conflicts.map((line) => `  ${plan.keysPath}: ${abbreviate(line)}`);
  if (plan.snippet.conflict) lines.push(`  ${plan.snippetPath}: ${describeDifference(plan.snippet.current ?? '', plan.snippet.wanted)}`);
  if (lines.length === 0) return;
  throw new UserError(`${options.host} has callhome settings that differ from what the build wrote:\n${lines.join('\n')}`, {
    hint: '--force replaces them (a device still using them loses its tunnel until it runs an image with the new settings); --dry-run changes nothing',
  });
}

/** The lines one file has and the other lacks, for messages. */
function describeDifference(host: string, build: string): string {
  const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const only = (a: string, b: string) => lines(a).filter((line) => !lines(b).includes(line));
  return `has ${JSON.stringify(only(host, build).join('; '))} where the build has ${JSON.stringify(only(build, host).join('; '))}`;
}

/** A key line with its base64 shortened, for messages. */
export function abbreviate(line: string): string {
  return line.trim().replace(/\b(AAAA[A-Za-z0-9+/]{8})[A-Za-z0-9+/]{16,}([A-Za-z0-9+/]{6}=*)/g, '$1…$2');
}

function reportOf(plan: InstallPlan, done: InstallHostOptions & InstallDone & { port: number; hostKey: string }): InstallReport {
  return {
    host: done.host,
    port: done.port,
    login: done.login,
    hostKey: done.hostKey,
    dryRun: done.dryRun,
    user: { name: plan.user, home: done.home, created: done.created || (done.dryRun && plan.home === undefined) },
    authorizedKeys: { path: done.home === undefined ? plan.keysPath : `${done.home}/.ssh/authorized_keys`, added: plan.keys.adds, kept: plan.keys.kept, removed: plan.keys.removed },
    sshdConfig: { path: plan.snippetPath, written: plan.snippet.writes },
    reloaded: done.reloaded,
    warnings: [],
  };
}

/** Where the last build's far-side files say something else: the image built last expects those. */
function lastBuildWarnings(tunnel: Tunnel, wanted: FarSideFiles, last: Partial<FarSideFiles>): string[] {
  const stale = (['authorizedKeys', 'sshdConfig'] as const).filter((name) => last[name] !== undefined && !sameFile(last[name], wanted[name]));
  if (stale.length === 0) return [];
  return [`${tunnel.shown(tunnel.outputs)}/ from the last build differs from what the config gives now (the key or the settings changed since): the image built last expects the old settings; build again before flashing`];
}

/** authorized_keys lines compare without their comment, which only names the hostname. */
const sameFile = (a: string | undefined, b: string) => strip(a ?? '') === strip(b);
const strip = (text: string) => text.replace(/(AAAA[A-Za-z0-9+/=]+) \S+$/gm, '$1');

function formatInstall(report: InstallReport): string {
  const would = (done: string, todo: string) => (report.dryRun ? `would be ${todo}` : done);
  const keys = report.authorizedKeys;
  const lines = [
    `${report.host}:${report.port} (host key ${report.hostKey}), logged in as ${report.login}${report.dryRun ? '; dry run, nothing changed' : ''}`,
    `  user ${report.user.name}: ${report.user.created ? would('created (system user, no password, shell /usr/sbin/nologin)', 'created') : 'exists'}`,
    `  ${keys.path}: ${keys.added ? would('the tunnel\'s line added', 'given the tunnel\'s line') : 'has the tunnel\'s line'}${keys.removed.length > 0 ? `; ${keys.removed.length} other line(s) for this tunnel ${report.dryRun ? 'would be ' : ''}removed` : ''}`,
    ...keys.kept.map((line) => `    kept the previous key's line until the device runs the new key (--force removes it): ${abbreviate(line)}`),
    `  ${report.sshdConfig.path}: ${report.sshdConfig.written ? would('written, checked with sshd -t, ssh reloaded', 'written, checked and ssh reloaded') : 'as the build wrote it'}`,
    ...report.warnings.map((warning) => `warning: ${warning}`),
    '',
  ];
  return lines.join('\n');
}
