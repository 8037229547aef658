/**
 * `mcdebian logs --host H [OVERLAY] [-n LINES] [--follow] [--since TIME]`: the journal of a
 * running device's services, read over SSH: an overlay's units (its `status.units`), or without
 * one every McDebian unit (`mcdebian-*`, the boot health unit among them) and every overlay's.
 * --follow reads on, a second apart, until Ctrl-C.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { overlays as registry } from '../../overlays/index.js';
import { didYouMean } from '../../overlays/runtime/suggest.js';
import type { DeviceSession } from '../../flash/device-session.js';
import { integerFlag, stringFlag, UsageError, type Command, type CommandContext, type ExitCode, type FlagValues } from '../core/command.js';
import { UserError } from '../core/errors.js';
import { connectDevice } from '../status/connect.js';
import { journalCommand, splitCursor, type JournalQuery } from '../status/journal.js';
import { deviceAddressOf, deviceFlags } from '../core/device-flags.js';

/** McDebian's own units, whatever overlays an image has: the boot health check, fw_env, every overlay's. */
const MCDEBIAN_UNITS = 'mcdebian-*';
const DEFAULT_LINES = 50;
const FOLLOW_INTERVAL_MS = 1000;

/** The units of an overlay, or of everything McDebian runs; a usage error for an unknown overlay. */
export function logUnits(overlay: string | undefined): string[] {
  const viewed = registry.filter((candidate) => candidate.status !== undefined);
  if (overlay === undefined) return [...new Set([MCDEBIAN_UNITS, ...viewed.flatMap((candidate) => candidate.status!.units)])];
  const found = viewed.find((candidate) => candidate.name === overlay);
  if (!found) {
    const names = viewed.map((candidate) => candidate.name);
    throw new UsageError(`logs: unknown overlay "${overlay}"${didYouMean(overlay, names)}`, `the overlays are ${names.join(', ')}; without one, logs shows them all`);
  }
  return [...found.status!.units];
}

/** Runs one read; journalctl's complaint about --since becomes an error naming the flag. */
async function read(session: DeviceSession, query: JournalQuery): Promise<string> {
  const result = await session.exec(journalCommand(query));
  if (result.code === 0) return result.stdout;
  const said = result.stderr.trim() || result.stdout.trim();
  if (query.since !== undefined && /timestamp|since/i.test(said)) {
    throw new UsageError(`--since ${JSON.stringify(query.since)}: journalctl on the device cannot read it (${said})`, 'give a time as systemd.time(7) has it: "2025-01-31 12:00", "-1h", "yesterday", "today"');
  }
  throw new UserError(`journalctl failed on the device (exit ${result.code}): ${said}`);
}

/** Reads on after the last cursor until `signal` aborts. */
async function follow(context: CommandContext, session: DeviceSession, first: JournalQuery, signal: AbortSignal): Promise<void> {
  let cursor: string | undefined;
  while (!signal.aborted) {
    // with no entry yet there is no cursor: the first query again shows only what came since
    const output = splitCursor(await read(session, cursor === undefined ? first : { ...first, afterCursor: cursor }));
    context.stdout.write(output.text);
    cursor = output.cursor ?? cursor;
    await sleep(FOLLOW_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
}

/** Aborts on Ctrl-C or SIGTERM, for as long as `work` runs. */
async function untilSignal(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    await work(stop.signal);
  } finally {
    process.removeListener('SIGINT', abort);
    process.removeListener('SIGTERM', abort);
  }
}

export async function runLogs(context: CommandContext, values: FlagValues, [overlay]: string[]): Promise<ExitCode> {
  const address = deviceAddressOf(context, values, 'logs');
  const since = stringFlag(values, 'since');
  const lines = values.lines === undefined && since !== undefined ? undefined : integerFlag(values, 'lines', { fallback: DEFAULT_LINES, min: 1, max: 1_000_000 });
  const query: JournalQuery = { units: logUnits(overlay), lines, since, showCursor: values.follow === true };
  const session = await connectDevice(address);
  try {
    if (values.follow === true) await untilSignal((signal) => follow(context, session, query, signal));
    else context.stdout.write(await read(session, query));
  } finally {
    await session.end();
  }
  return 0;
}

export const logsCommand: Command = {
  summary: 'show the journal of a running device\'s McDebian services, or of one overlay\'s; --follow to keep reading',
  usage: 'mcdebian logs --host H [OVERLAY] [-n LINES] [--follow] [--since TIME] [--port N] [--user U] [--identity FILE] [--known-hosts FILE] [--accept-new-host-key]',
  flags: {
    ...deviceFlags,
    lines: { type: 'string', short: 'n', value: 'LINES', description: `the last LINES entries (default ${DEFAULT_LINES}; with --since, all since then)` },
    follow: { type: 'boolean', short: 'f', description: 'keep printing new entries until Ctrl-C' },
    since: { type: 'string', value: 'TIME', description: 'entries since TIME, as journalctl takes it: "2025-01-31 12:00", today, or --since=-1h' },
  },
  positionals: { min: 0, max: 1 },
  run: runLogs,
};
