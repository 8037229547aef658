/**
 * What the tests ask a running charon through swanctl: load a configuration tree, initiate a
 * child, list the SAs (parsed from `--raw`), and wait until a child is installed.
 */
import { join } from 'node:path';
import { swanctl, type Charon } from './charon.js';
import { stageSwanctlTree } from './swanctl-tree.js';
import { parseRaw, type ViciSection } from './vici-raw.js';
import { waitFor } from './wait.js';

/**
 * Loads the configuration tree (see swanctl-tree.ts) into charon; rejects with swanctl's output
 * when it fails, including a syntax error, after which swanctl 5.9.8 prints "invalid config
 * file", unloads every connection and still exits 0.
 */
export async function loadSwanctlTree(charon: Charon, options: { tree: string; file?: string }): Promise<string> {
  const staged = await stageSwanctlTree({ tree: options.tree, into: join(charon.dir, `swanctl-${Date.now()}`), file: options.file });
  const result = await swanctl(charon, ['--load-all', '--file', staged], { reject: false });
  // swanctl warns about each credential directory the tree lacks (x509, private...): not news
  const output = `${String(result.stdout)}\n${String(result.stderr)}`.split('\n').filter((line) => !/^opening directory .* failed/.test(line)).join('\n');
  if (result.exitCode !== 0 || /invalid config file|no connections found/.test(output)) {
    throw new Error(`swanctl --load-all --file ${staged} failed (exit ${result.exitCode}):\n${output}`);
  }
  return output;
}

/** Initiates a child (and its IKE_SA); rejects with swanctl's output when it does not come up. */
export async function initiate(charon: Charon, options: { child: string; ike?: string; timeoutSeconds?: number }): Promise<string> {
  const args = ['--initiate', '--child', options.child, '--timeout', String(options.timeoutSeconds ?? 60)];
  if (options.ike) args.push('--ike', options.ike);
  const result = await swanctl(charon, args, { reject: false });
  if (result.exitCode !== 0) throw new Error(`swanctl ${args.join(' ')} failed (exit ${result.exitCode}):\n${String(result.stdout)}\n${String(result.stderr)}`);
  return String(result.stdout);
}

/** One IKE_SA as `--list-sas --raw` shows it: its name, its values, its children by their unique name. */
export interface IkeSa {
  name: string;
  values: ViciSection;
  children: ViciSection[];
}

/** The IKE_SAs charon has now. */
export async function listSas(charon: Charon): Promise<IkeSa[]> {
  const result = await swanctl(charon, ['--list-sas', '--raw']);
  return parseRaw(String(result.stdout)).filter((message) => message.name === 'list-sa event').flatMap((message) =>
    Object.entries(message.body).map(([name, values]) => {
      const sa = values as ViciSection;
      return { name, values: sa, children: Object.values((sa['child-sas'] ?? {}) as ViciSection) as ViciSection[] };
    }));
}

/** The installed child of that name, once charon lists one. */
export function waitForChild(charon: Charon, options: { ike: string; child: string; timeoutMs?: number }): Promise<{ ike: IkeSa; child: ViciSection }> {
  return waitFor(async () => {
    for (const ike of await listSas(charon)) {
      const child = ike.children.find((found) => found.name === options.child && found.state === 'INSTALLED');
      if (ike.name === options.ike && ike.values.state === 'ESTABLISHED' && child) return { ike, child };
    }
    return undefined;
  }, { what: `child ${options.child} of ${options.ike} installed in ${charon.ns}`, timeoutMs: options.timeoutMs });
}
