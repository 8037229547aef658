/**
 * dns-blacklist's section of mcdebian.yaml: what a blocked name answers, who may query, the
 * upstream resolvers, rate limiting, the seed list, the blocked page and the admin API.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { ipv4, ipv4Cidr } from '../../build/core/fields.js';
import { findBasicUserProblem } from './app/auth.js';

/** An upstream resolver: an IPv4 address, optionally with a port. */
const forwarder = z.string().refine((text) => {
  const [address = '', port, ...rest] = text.split(':');
  return rest.length === 0 && isIPv4(address) && (port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535));
}, { message: 'must be an IPv4 address, optionally with a port: 192.0.2.1 or 192.0.2.1:5300' });

const port = (what: string, fallback: number) => z.int().min(1).max(65535).default(fallback).describe(what);

export const dnsBlacklistSchema = z.strictObject({
  // no fixed default: the blocked page needs an address known when building, which a board without a
  // LAN bridge does not have (its one interface takes DHCP or QEMU's user network); see defaultSink
  sink: z.union([z.enum(['lan', 'nxdomain']), ipv4]).optional()
    .describe('what a blocked name answers: lan (the router\'s LAN address, where the blocked page is), an IPv4 address, or nxdomain; default: lan on routers, nxdomain elsewhere'),
  allow: z.array(ipv4Cidr).optional()
    .describe('networks that may query and recurse (localhost always may); default: the LAN on routers, the attached networks elsewhere'),
  listenOn: z.array(ipv4).optional().describe('addresses named listens on; default: the LAN address and 127.0.0.1 on routers, all elsewhere'),
  forwarders: z.array(forwarder).default([]).describe('upstream resolvers (192.0.2.1, or 192.0.2.1:5300); none: named resolves from the root servers'),
  dnssecValidation: z.enum(['auto', 'no']).default('auto').describe('DNSSEC validation of upstream answers'),
  rateLimit: z.strictObject({
    responsesPerSecond: z.int().min(1).max(1000).default(20).describe('identical answers per second to one client network'),
    window: z.int().min(1).max(3600).default(5).describe('seconds over which the rate is counted'),
    slip: z.int().min(0).max(10).default(2).describe('every slip-th limited answer is sent truncated (TC=1) so real clients retry over TCP; 0: none'),
  }).default({ responsesPerSecond: 20, window: 5, slip: 2 }).describe('response rate limiting per client network (localhost exempt)'),
  policyTtl: z.int().min(1).max(86_400).default(60).describe('seconds clients may cache a blocked answer'),
  seed: z.array(z.string()).default([]).describe('domains blocked from the first boot'),
  seedFile: z.string().min(1).optional().describe('a hosts-format block list blocked from the first boot'),
  blockedPage: z.strictObject({ enabled: z.boolean().default(true).describe('serve the blocked page (sink answers only)'), port: port('its HTTP port', 80) })
    .default({ enabled: true, port: 80 }).describe('the page a blocked name shows, on the sink address'),
  api: z.strictObject({
    listen: ipv4.optional().describe('default: the LAN address on routers, all addresses elsewhere'),
    port: port('the admin API\'s port', 8053),
    user: z.string().min(1).refine((user) => findBasicUserProblem(user) === undefined, { error: (issue) => findBasicUserProblem(String(issue.input)) })
      .default('admin').describe('the HTTP Basic user name (no ":" or control characters)'),
    passwordHash: z.string().min(1).describe('secret file with the password\'s hash line (mcdebian dns-blacklist hash-password)'),
    tls: z.strictObject({
      certificate: z.string().min(1).describe('file with the API\'s certificate (PEM)'),
      key: z.string().min(1).describe('secret file with its private key (PEM)'),
    }).optional()
      .describe('files with the API\'s certificate and its key (secret); without them the API speaks plain HTTP'),
  }).describe('the admin API'),
});

export type DnsBlacklistConfig = z.output<typeof dnsBlacklistSchema>;

/** What a blocked name answers when `sink` is not given: the LAN address where there is one, else NXDOMAIN. */
export function defaultSink(networkKind: 'router' | 'single'): 'lan' | 'nxdomain' {
  return networkKind === 'router' ? 'lan' : 'nxdomain';
}
