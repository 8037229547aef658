/**
 * `dns-blacklist`: BIND9 as the LAN's resolver with a response policy zone, an admin API (Node,
 * bundled) that changes the zone by signed dynamic updates, and a blocked-domain page. Replaces
 * one zone per domain, a PHP script with sudo, and an open resolver. The facts, and the
 * replaced setup: overlays/dns-blacklist/README.md.
 */
import { fileURLToPath } from 'node:url';
import type { Board } from '../../board/board.js';
import { defineOverlay, type FileReference, type OverlayIssue, type ReadFile } from '../overlay.js';
import { checkDomain } from './app/domain.js';
import { dnsBlacklistCommands } from './cli.js';
import { parseHostsFile } from './app/hosts.js';
import { POLICY_ZONE } from './named.js';
import { renderDnsBlacklist } from './render.js';
import { dnsBlacklistSchema, type DnsBlacklistConfig } from './schema.js';
import { dnsBlacklistStatus } from './status.js';
import { APP_PATH } from './units.js';

/** The service's entry module, compiled, beside this file. */
const APP_ENTRY = fileURLToPath(new URL('./app/main.js', import.meta.url));

function files(config: DnsBlacklistConfig): FileReference[] {
  const references: FileReference[] = [{ field: ['api', 'passwordHash'], path: config.api.passwordHash, secret: true }];
  if (config.api.tls) {
    references.push({ field: ['api', 'tls', 'certificate'], path: config.api.tls.certificate, secret: false });
    references.push({ field: ['api', 'tls', 'key'], path: config.api.tls.key, secret: true });
  }
  if (config.seedFile) references.push({ field: ['seedFile'], path: config.seedFile, secret: false });
  return references;
}

function validate(config: DnsBlacklistConfig, read: readonly ReadFile[], context: { board?: Board }): OverlayIssue[] {
  const issues: OverlayIssue[] = [];
  for (const [index, entry] of config.seed.entries()) {
    const check = checkDomain(entry, POLICY_ZONE);
    if (!check.ok) issues.push({ field: ['seed', index], message: `"${entry}" ${check.reason}` });
  }
  const seedFile = read.find((file) => file.field[0] === 'seedFile');
  if (seedFile?.content !== undefined) {
    const parsed = parseHostsFile(seedFile.content, POLICY_ZONE);
    if (parsed.invalid.length > 0) {
      const first = parsed.invalid.slice(0, 3).map((line) => `line ${line.line}: ${line.reason}`).join('; ');
      issues.push({ field: ['seedFile'], message: `${seedFile.path} has ${parsed.invalid.length} invalid entries (${first}); fix or remove them` });
    }
  }
  const hash = read.find((file) => file.field.join('.') === 'api.passwordHash');
  if (hash?.content !== undefined && !/^scrypt\$/.test(hash.content.trim())) {
    issues.push({ field: ['api', 'passwordHash'], message: `${hash.path} does not hold a password hash; make one with: mcdebian dns-blacklist hash-password > ${hash.path}` });
  }
  if (config.sink === 'lan' && context.board !== undefined && context.board.network.kind !== 'router') {
    issues.push({ field: ['sink'], message: 'is "lan", but this board has no LAN bridge: give the address blocked names should answer, or nxdomain' });
  }
  return issues;
}

export const dnsBlacklist = defineOverlay<DnsBlacklistConfig>({
  name: 'dns-blacklist',
  summary: 'BIND resolver for the LAN with a response policy zone, an admin API and a blocked-domain page',
  architectures: ['armhf', 'amd64'],
  schema: dnsBlacklistSchema,
  packages: () => ['bind9', 'bind9-dnsutils'],
  nodeServices: [{ entry: APP_ENTRY, path: APP_PATH }],
  files,
  validate,
  render: renderDnsBlacklist,
  cli: dnsBlacklistCommands,
  status: dnsBlacklistStatus,
});
