/**
 * `import FILE`: a hosts-format block list added through the same queue and updater as the API,
 * in parts of 1,000 names so that each nsupdate run stays short.
 */
import { readFile } from 'node:fs/promises';
import type { Blocklist } from './blocklist.js';
import { parseHostsFile, type InvalidLine } from './hosts.js';
import type { Log } from '../../runtime/service-log.js';

const PART = 1000;

export interface ImportOptions {
  file: string;
  zone: string;
  blocklist: Blocklist;
  log: Log;
}

/** What an import did. */
export interface ImportReport {
  added: number;
  alreadyBlocked: number;
  invalid: InvalidLine[];
  /** Machine names (localhost, ...) and addresses passed over. */
  skipped: number;
}

/** Adds every valid name of the file; invalid ones are reported with their line, not fatal. */
export async function importHostsFile(options: ImportOptions): Promise<ImportReport> {
  const list = parseHostsFile(await readFile(options.file, 'utf8'), options.zone);
  for (const invalid of list.invalid) options.log.warn(`import: ${options.file}:${invalid.line}: ${JSON.stringify(invalid.entry)} ${invalid.reason}`);
  let added = 0;
  let alreadyBlocked = 0;
  for (let start = 0; start < list.domains.length; start += PART) {
    const result = await options.blocklist.change({ add: list.domains.slice(start, start + PART), remove: [] });
    added += result.added.length;
    alreadyBlocked += result.alreadyBlocked.length;
  }
  return { added, alreadyBlocked, invalid: list.invalid, skipped: list.skipped };
}

/** The summary line of an import. */
export function describeImport(file: string, report: ImportReport): string {
  const lines = report.invalid.map((invalid) => invalid.line);
  const shown = lines.length > 20 ? `${lines.slice(0, 20).join(', ')}, ...` : lines.join(', ');
  const invalid = lines.length > 0 ? `${lines.length} invalid (lines ${shown})` : '0 invalid';
  return `import: ${file}: ${report.added} added, ${report.alreadyBlocked} already blocked, ${invalid}, ${report.skipped} local names or addresses skipped`;
}
