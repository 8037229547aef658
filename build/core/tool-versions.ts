/**
 * Versions of the host tools a stage depends on, from dpkg's database, so that upgrading
 * mmdebstrap or e2fsprogs changes the cache key of the stages they build.
 */
import { runCommand } from './exec.js';

/** Package name -> installed version, or "absent". */
export type ToolVersions = Record<string, string>;

/** Parses `dpkg-query -W -f '${Package} ${Version}\n'` output. */
export function parseDpkgQuery(output: string, packages: readonly string[]): ToolVersions {
  const versions: ToolVersions = Object.fromEntries(packages.map((name) => [name, 'absent']));
  for (const line of output.split('\n')) {
    const [name, version] = line.trim().split(/\s+/);
    if (name && version && name in versions) versions[name] = version;
  }
  return versions;
}

/** Installed versions of the given Debian packages; all "absent" without dpkg-query. */
export async function readToolVersions(packages: readonly string[]): Promise<ToolVersions> {
  try {
    // dpkg-query exits 1 when some package is not installed, and still prints the others
    const { stdout } = await runCommand(['dpkg-query', '-W', '-f', '${Package} ${Version}\\n', ...packages], { acceptExitCodes: [1] });
    return parseDpkgQuery(stdout, packages);
  } catch {
    return parseDpkgQuery('', packages); // no dpkg on this host
  }
}
