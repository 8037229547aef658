/**
 * `mcdebian doctor [--board ID] [--bootstrapper B] [--json] [--packages]`: checks the host
 * prerequisites of one board (or of every board) and prints the exact apt-get line for what is
 * missing. Exits 1 when a prerequisite of `build` is missing.
 */
import { boards, getBoard } from '../../board/index.js';
import type { Bootstrapper } from '../../rootfs/bootstrap.js';
import { checkPrerequisite, prerequisitesFor, type CheckEnvironment, type CheckResult, type Prerequisite } from '../host-tools.js';
import { commonFlags, stringFlag, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';
import { bootstrapperFlag, bootstrapperOf } from './plan.js';

export interface DoctorOptions {
  board?: string;
  bootstrapper: Bootstrapper;
  json: boolean;
  /** Print the Debian packages of every prerequisite (present or not) and exit: for setup scripts. */
  packages: boolean;
}

/** Debian's name for the architecture Node runs on. */
export function debianArch(nodeArch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/** The packages that fix the failed checks, for one apt-get line. */
export function packagesToInstall(results: readonly CheckResult[]): string[] {
  const missing = results.filter((result) => !result.ok).flatMap((result) => [result.prerequisite.debianPackage, ...(result.prerequisite.alsoInstall ?? [])]);
  return [...new Set(missing)].sort();
}

function collectPrerequisites(options: DoctorOptions, hostArch: string): Prerequisite[] {
  const chosen = options.board === undefined ? boards : [getBoard(options.board)];
  const byName = new Map<string, Prerequisite>();
  for (const board of chosen) {
    for (const prerequisite of prerequisitesFor(board, { bootstrapper: options.bootstrapper, hostArch })) {
      const known = byName.get(prerequisite.name);
      if (!known || (known.need === 'optional' && prerequisite.need === 'required')) byName.set(prerequisite.name, prerequisite);
    }
  }
  return [...byName.values()];
}

export async function runDoctor(context: CommandContext, options: DoctorOptions, env?: Partial<CheckEnvironment>): Promise<ExitCode> {
  const hostArch = debianArch(process.arch);
  const prerequisites = collectPrerequisites(options, hostArch);
  if (options.packages) {
    const names = prerequisites.flatMap((p) => [p.debianPackage, ...(p.alsoInstall ?? [])]);
    context.stdout.write(`${[...new Set(names)].sort().join(' ')}\n`);
    return 0;
  }
  const checkEnv: CheckEnvironment = {
    path: context.env.PATH ?? '',
    binfmtDir: context.env.MCDEBIAN_BINFMT_DIR ?? '/proc/sys/fs/binfmt_misc',
    nodeVersion: process.version,
    ...env,
  };
  const results = await Promise.all(prerequisites.map((p) => checkPrerequisite(p, checkEnv)));
  const missingRequired = results.filter((r) => !r.ok && r.prerequisite.need === 'required');
  const install = packagesToInstall(results);
  const scope = options.board ?? 'every board';
  if (options.json) {
    writeJson(context, { scope, hostArch, bootstrapper: options.bootstrapper, ok: missingRequired.length === 0, results, install: install.length ? `apt-get install ${install.join(' ')}` : null });
  } else {
    context.stdout.write(formatDoctor({ scope, hostArch, bootstrapper: options.bootstrapper, results, install }));
  }
  return missingRequired.length === 0 ? 0 : 1;
}

function formatDoctor(report: { scope: string; hostArch: string; bootstrapper: string; results: CheckResult[]; install: string[] }): string {
  const nameWidth = Math.max(...report.results.map((r) => r.prerequisite.name.length));
  const lines = [`Host prerequisites for ${report.scope} (host ${report.hostArch}, ${report.bootstrapper}):`];
  for (const { prerequisite, ok, detail } of report.results) {
    const status = ok ? 'ok' : prerequisite.need === 'required' ? 'MISSING' : 'missing';
    lines.push(`  ${status.padEnd(8)}${prerequisite.name.padEnd(nameWidth + 2)}${prerequisite.purpose}${ok ? '' : ` (${detail}; Debian package ${prerequisite.debianPackage})`}`);
  }
  const missingRequired = report.results.filter((r) => !r.ok && r.prerequisite.need === 'required').length;
  if (report.install.length === 0) lines.push('', 'Everything is installed.');
  else {
    lines.push('', `${missingRequired} required and ${report.results.filter((r) => !r.ok).length - missingRequired} optional missing. Install with:`, `  apt-get install ${report.install.join(' ')}`);
    if (report.results.some((r) => !r.ok && r.prerequisite.kind === 'binfmt')) {
      lines.push('If qemu-user-static is installed but not registered: systemctl restart systemd-binfmt (or update-binfmts --enable qemu-arm)');
    }
  }
  return `${lines.join('\n')}\n`;
}

export const doctorCommand: Command = {
  summary: 'check the host prerequisites and print the apt-get line for what is missing',
  usage: 'mcdebian doctor [--board ID] [--bootstrapper mmdebstrap|debootstrap] [--json] [--packages]',
  flags: {
    board: { ...commonFlags.board, description: 'check this board only (default: every board)' },
    bootstrapper: bootstrapperFlag,
    json: commonFlags.json,
    packages: { type: 'boolean', description: 'print the Debian packages of every prerequisite and exit (for setup scripts)' },
  },
  run: (context, values) => runDoctor(context, { board: stringFlag(values, 'board'), bootstrapper: bootstrapperOf(values), json: values.json === true, packages: values.packages === true }),
};
