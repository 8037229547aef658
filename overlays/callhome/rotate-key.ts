/**
 * `mcdebian callhome rotate-key -c FILE`: a new tunnel key pair, made only when asked. The old
 * pair is kept beside it as `<key>.old` and `<key>.old.pub`: the device uses it until it runs an
 * image with the new key, and install-host keeps its line on the managed host until --force.
 * Prints the managed host's new files and the steps that follow.
 */
import { access, mkdir, readFile, rename, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../../build/core/errors.js';
import { writeJson, type CommandContext, type ExitCode } from '../../build/core/command.js';
import type { CommandHost } from '../overlay.js';
import { sshdSnippetPath } from './far-side.js';
import { fingerprintOf, generateKeyPair, publicKeyOf } from './keys.js';
import { farSideFiles, loadTunnel, type Tunnel } from './tunnel.js';

export interface RotateKeyOptions {
  /** -c FILE as given. */
  file: string;
  json: boolean;
}

/** What rotate-key did and what the managed host needs (its --json). */
export interface RotationReport {
  config: string;
  key: { file: string; fingerprint: string };
  /** The replaced pair, kept; absent when there was no key yet. */
  old?: { file: string; fingerprint: string };
  farSide: { host: string; user: string; authorizedKeys: { path: string; line: string }; sshdConfig: { path: string; content: string } };
  next: string[];
}

export async function runRotateKey(context: CommandContext, host: CommandHost, options: RotateKeyOptions): Promise<ExitCode> {
  const tunnel = await loadTunnel(host, { file: options.file, cwd: context.cwd });
  const key = tunnel.privateKey;
  const old = await keepOldPair(tunnel);
  await generateKeyPair(key.file, `mcdebian-callhome@${tunnel.loaded.hostname}`);
  const content = await readFile(key.file, 'utf8');
  const files = farSideFiles(tunnel, { ...key, content, formerFile: undefined });
  const report: RotationReport = {
    config: options.file,
    key: { file: tunnel.shown(key.file), fingerprint: fingerprintOf(publicKeyOf(content)) },
    ...(old ? { old } : {}),
    farSide: {
      host: tunnel.config.host,
      user: tunnel.config.user,
      authorizedKeys: { path: `~${tunnel.config.user}/.ssh/authorized_keys`, line: files.authorizedKeys.trimEnd() },
      sshdConfig: { path: sshdSnippetPath(tunnel.config.user), content: files.sshdConfig },
    },
    next: nextSteps(tunnel, options.file, old),
  };
  if (options.json) writeJson(context, report);
  else context.stdout.write(formatRotation(report));
  return 0;
}

/** Moves the current pair (where it is, or where earlier versions kept it) to `<key>.old`. */
async function keepOldPair(tunnel: Tunnel): Promise<RotationReport['old']> {
  const key = tunnel.privateKey;
  const old = `${key.file}.old`;
  if (await access(old).then(() => true, () => false)) {
    throw new UserError(`${tunnel.shown(old)} is still there from an earlier rotation`, {
      hint: `delete it and its .pub once no device uses that key (install-host --force removes its line from the managed host), then rotate again`,
    });
  }
  if (key.content === undefined) return undefined; // no key yet: nothing to keep
  const from = key.formerFile ?? key.file;
  await mkdir(dirname(key.file), { recursive: true, mode: 0o700 });
  await rename(from, old);
  await rename(`${from}.pub`, `${old}.pub`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  if (key.formerFile !== undefined) await rmdir(dirname(key.formerFile)).catch(() => undefined);
  return { file: tunnel.shown(old), fingerprint: fingerprintOf(publicKeyOf(key.content)) };
}

function nextSteps(tunnel: Tunnel, file: string, old: RotationReport['old']): string[] {
  const install = `mcdebian callhome install-host --host ${tunnel.config.host} -c ${file}`;
  const steps = [
    `${install}: puts the new key's line on the managed host${old ? ', beside the old key\'s' : ''}`,
    `mcdebian build -c ${file}, then flash the device (mcdebian flash sftp --host DEVICE -c ${file})`,
  ];
  if (old) steps.push(`once the device calls home with the new key: ${install} --force removes the old key's line; then delete ${old.file} and ${old.file}.pub`);
  return steps;
}

function formatRotation(report: RotationReport): string {
  const { farSide } = report;
  return [
    `New tunnel key for ${report.config}: ${report.key.file} (${report.key.fingerprint})`,
    ...(report.old ? [`The old key (${report.old.fingerprint}) is kept as ${report.old.file} until no device uses it.`] : []),
    '',
    `On ${farSide.host}, ${farSide.authorizedKeys.path} needs this line${report.old ? ' (keep the old key\'s line until the device runs the new image)' : ''}:`,
    farSide.authorizedKeys.line,
    '',
    `and ${farSide.sshdConfig.path} holds:`,
    farSide.sshdConfig.content.trimEnd(),
    '',
    'Next:',
    ...report.next.map((step, index) => `  ${index + 1}. ${step}`),
    '',
  ].join('\n');
}
