/**
 * A real BIND named on the host's loopback, running the configuration the dns-blacklist overlay
 * renders (only the file locations moved into a test directory), for the integration tests and
 * the benchmark.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { renderNamedLocal, renderNamedOptions, renderPolicyZone, type BlockAction, type NamedPaths, type NamedSettings } from '../../../../overlays/dns-blacklist/named.js';

export interface NamedOptions {
  dir: string;
  settings: NamedSettings;
  seed: string[];
  action: BlockAction;
  /** Leave the response policy zone out (the benchmark's baseline). */
  withoutPolicy?: boolean;
}

export interface RunningNamed {
  paths: NamedPaths;
  stop(): Promise<void>;
  /** Starts named again on the same files (the zone and its journal are kept). */
  start(): Promise<void>;
  log(): string;
}

export async function startNamed(options: NamedOptions): Promise<RunningNamed> {
  const { dir } = options;
  const paths: NamedPaths = { directory: dir, zoneFile: join(dir, 'rpz.db'), sessionKeyFile: join(dir, 'session.key'), pidFile: join(dir, 'named.pid') };
  let conf = renderNamedOptions(options.settings, paths);
  if (options.withoutPolicy) conf = conf.replace(/ {4}\/\/ the policy zone[\s\S]*?qname-wait-recurse no;\n/, '');
  await writeFile(join(dir, 'named.conf.options'), conf);
  await writeFile(join(dir, 'named.conf.local'), options.withoutPolicy ? '' : renderNamedLocal(paths));
  await writeFile(paths.zoneFile, renderPolicyZone(options.seed, options.action, options.settings.policyTtl));
  await writeFile(join(dir, 'named.conf'), `include "${join(dir, 'named.conf.options')}";\ninclude "${join(dir, 'named.conf.local')}";\n`);
  let output = '';
  let child: ResultPromise | undefined;
  const start = async () => {
    output = '';
    // as root, without -u: named keeps to its own directory; -g logs to stderr, in the foreground
    child = execa('named', ['-g', '-c', join(dir, 'named.conf')], { reject: false, buffer: false, all: true, stdin: 'ignore' });
    child.all?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const deadline = Date.now() + 30_000;
    while (!/\brunning\n/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`named did not start:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await start();
  return {
    paths,
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await child;
      child = undefined;
    },
    start,
    log: () => output,
  };
}

const UPSTREAM_ZONE = `$TTL 60
@ IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 60
@ IN NS localhost.
good IN A 203.0.113.10
bad IN A 203.0.113.66
www.bad IN A 203.0.113.67
later IN A 203.0.113.20
`;

/** An authoritative named for `example.` (good, bad, www.bad, later) standing in for the internet. */
export async function startUpstream(dir: string, port: number, moreRecords = ''): Promise<RunningNamed> {
  await mkdir(dir);
  await writeFile(join(dir, 'example.db'), UPSTREAM_ZONE + moreRecords);
  const settings: NamedSettings = { listenOn: ['127.0.0.1'], port, allowed: [], forwarders: [], dnssecValidation: 'no', rateLimit: { responsesPerSecond: 1000, window: 1, slip: 0 }, policyTtl: 60 };
  const named = await startNamed({ dir, settings, seed: [], action: { kind: 'nxdomain' }, withoutPolicy: true });
  await writeFile(join(dir, 'named.conf.local'), `zone "example" { type primary; file "${join(dir, 'example.db')}"; };\n`);
  await named.stop();
  await named.start();
  return named;
}

/** An A query with dig: the status, the addresses answered and the header flags. */
export async function digA(port: number, name: string, extra: string[] = []): Promise<{ status?: string; answers: string[]; flags: string }> {
  const { stdout } = await execa('dig', ['@127.0.0.1', '-p', String(port), name, 'A', '+tries=1', '+time=3', ...extra]);
  const status = /status: (\w+)/.exec(stdout)?.[1];
  // dig lines up its columns with tabs, but a long owner name is followed by a space instead
  const section = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(stdout)?.[1] ?? '';
  const answers = section.split('\n').map((line) => line.trim().split(/\s+/)).filter((fields) => fields[2] === 'IN' && fields[3] === 'A').map((fields) => fields[4] ?? '');
  return { status, answers, flags: /flags: ([\w ]+);/.exec(stdout)?.[1] ?? '' };
}
