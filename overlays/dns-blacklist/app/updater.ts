/**
 * The only part that runs programs: Debian's `nsupdate` and `dig` (package bind9-dnsutils),
 * signed with the zone's TSIG key. Everything above it talks to the `Updater` interface, so the
 * HTTP layer is tested with an in-memory one.
 */
import { execFile } from 'node:child_process';
import { parseAxfr, renderUpdateScript, type Change, type ZoneSettings } from './zone.js';

/** Reads and changes the block list. */
export interface Updater {
  /** The blocked domains, sorted. */
  list(): Promise<string[]>;
  /** Adds and removes domains in one run; a failure rejects with an UpdateError. */
  apply(change: Change): Promise<void>;
}

/** nsupdate or dig failed: the message says which, how, and the tail of its stderr. */
export class UpdateError extends Error {
  override readonly name = 'UpdateError';
}

export interface DnsUpdaterOptions {
  settings: ZoneSettings;
  /** The TSIG key file, as tsig-keygen writes it. */
  keyFile: string;
}

/** A zone of 100,000 domains transfers as about 10 MB of dig output. */
const MAX_OUTPUT = 64 * 1024 * 1024;

/** nsupdate's arguments: the key; server, zone and records come on stdin. */
export const nsupdateArgs = (keyFile: string) => ['-k', keyFile];

/** dig's arguments for a transfer of the whole zone, records only. */
export const digArgs = (settings: ZoneSettings, keyFile: string) =>
  ['-k', keyFile, `@${settings.server.address}`, '-p', String(settings.server.port), settings.zone, 'AXFR', '+noall', '+answer'];

/** Time for one run: a large change sends many messages. */
const timeoutFor = (domains: number) => 30_000 + 10 * domains;

/** Runs a program with `input` on stdin; resolves with its stdout, rejects with an UpdateError. */
function runTool(file: string, args: readonly string[], options: { input: string; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: options.timeoutMs, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new UpdateError(`${file} not found; install the Debian package bind9-dnsutils`));
      const how = error.killed ? `was stopped after ${options.timeoutMs / 1000} s` : `exited with code ${code ?? error.signal}`;
      const said = `${stderr}\n${stdout}`.trim().split('\n').slice(-10).join('\n');
      reject(new UpdateError(`${file} ${how}${said ? `: ${said}` : ''}`));
    });
    // a program that exits before reading all of stdin closes the pipe: its exit status tells why
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** The updater of a real BIND: nsupdate for changes, dig AXFR for the list. */
export function createDnsUpdater(options: DnsUpdaterOptions): Updater {
  const { settings, keyFile } = options;
  return {
    async list() {
      const output = await runTool('dig', digArgs(settings, keyFile), { input: '', timeoutMs: timeoutFor(0) });
      try {
        return parseAxfr(output, settings.zone);
      } catch (error) {
        throw new UpdateError(`dig: ${(error as Error).message}`);
      }
    },
    async apply(change) {
      if (change.add.length === 0 && change.remove.length === 0) return;
      const script = renderUpdateScript(settings, change);
      await runTool('nsupdate', nsupdateArgs(keyFile), { input: script, timeoutMs: timeoutFor(change.add.length + change.remove.length) });
    },
  };
}
