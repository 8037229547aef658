/**
 * BIND's configuration for the blacklist, as pure functions of the settings: the options (a
 * recursive resolver for the allowed networks only, response rate limiting, the response policy
 * zone applied at once) and the policy zone with its seed. Replaces one zone per blocked domain
 * and an open resolver. The facts, and the replaced setup: overlays/dns-blacklist/README.md.
 */

/** The policy zone's name: a name under no public TLD. */
export const POLICY_ZONE = 'rpz.mcdebian';

/**
 * The policy zone's `check-names` mode. named refuses, in a primary zone, address records whose
 * owner is not a host name (letters, digits, hyphens; `check-names primary fail` is the default,
 * BIND ARM), when it loads the zone file and in dynamic updates alike: one `tracker_x.example`
 * in the seed kept the whole zone from loading, and in an update it failed the whole message.
 * Block lists name tracker hosts with underscores, which browsers resolve, and an owner here is
 * an RPZ trigger, not a host, so the zone ignores the rule. What reaches the zone is still
 * checked by app/domain.ts: letters, digits, hyphens and underscores only.
 */
export const POLICY_CHECK_NAMES = 'ignore';

/** What a blocked name answers. */
export type BlockAction = { kind: 'sink'; address: string } | { kind: 'nxdomain' };

export interface NamedSettings {
  /** Addresses named listens on (IPv4). */
  listenOn: string[];
  port: number;
  /** Who may query and recurse: address match list elements (CIDRs, `localhost`, `localnets`). */
  allowed: string[];
  /** Upstream resolvers (`192.0.2.1` or `192.0.2.1 port 5300`); none: full recursion from the root. */
  forwarders: string[];
  /** `no` for upstreams that break DNSSEC (the replaced setup needed it behind its forwarder); `auto` otherwise. */
  dnssecValidation: 'auto' | 'no';
  rateLimit: { responsesPerSecond: number; window: number; slip: number };
  /** Seconds a policy answer may be cached by clients. */
  policyTtl: number;
}

/** Where named keeps its files: Debian's places in the image, a temporary directory in tests. */
export interface NamedPaths {
  directory: string;
  zoneFile: string;
  sessionKeyFile: string;
  pidFile: string;
}

export const DEBIAN_PATHS: NamedPaths = {
  directory: '/var/cache/bind',
  zoneFile: `/var/lib/bind/${POLICY_ZONE}.db`,
  sessionKeyFile: '/run/named/session.key',
  pidFile: '/run/named/named.pid',
};

const list = (items: readonly string[]) => `{ ${items.map((item) => `${item};`).join(' ')} }`;

/** The `options` block (Debian's named.conf.options). */
export function renderNamedOptions(settings: NamedSettings, paths: NamedPaths = DEBIAN_PATHS): string {
  const forwarding = settings.forwarders.length > 0 ? `    forwarders ${list(settings.forwarders)};\n    forward only;\n` : '';
  const { responsesPerSecond, window, slip } = settings.rateLimit;
  return `// McDebian dns-blacklist: a resolver for the allowed networks only, never an open one
acl mcdebian-clients ${list(['localhost', ...settings.allowed])};

options {
    directory "${paths.directory}";
    pid-file "${paths.pidFile}";
    session-keyfile "${paths.sessionKeyFile}";
    listen-on port ${settings.port} ${list(settings.listenOn)};
    listen-on-v6 { none; };
    recursion yes;
    allow-query { mcdebian-clients; };
    allow-query-cache { mcdebian-clients; };
    allow-recursion { mcdebian-clients; };
    allow-transfer { none; };
${forwarding}    dnssec-validation ${settings.dnssecValidation};
    minimal-any yes;
    version none;
    // response rate limiting: answers beyond the rate are dropped, every ${slip}th truncated (TC=1)
    rate-limit {
        responses-per-second ${responsesPerSecond};
        window ${window};
        slip ${slip};
        exempt-clients { localhost; };
    };
    // the policy zone answers at once: no waiting for the real answer, no 60 s batching of updates
    response-policy {
        zone "${POLICY_ZONE}" max-policy-ttl ${settings.policyTtl} min-update-interval 0;
    } break-dnssec yes qname-wait-recurse no;
};
`;
}

/**
 * The policy zone's declaration: dynamic updates signed with named's own session key
 * (`update-policy local`, the key in session-keyfile, for local clients such as the admin API),
 * transfers to localhost only, so the API can list the zone.
 */
export function renderNamedLocal(paths: NamedPaths = DEBIAN_PATHS): string {
  return `// McDebian dns-blacklist: the response policy zone
zone "${POLICY_ZONE}" {
    type primary;
    file "${paths.zoneFile}";
    update-policy local;
    check-names ${POLICY_CHECK_NAMES};
    allow-transfer { localhost; };
    allow-query { localhost; };
};
`;
}

/**
 * named-checkzone's argv for a policy zone file, with the checks named applies to the zone.
 * Its `-k` defaults to warn (named-checkzone(1)), so without it the check passed a seed named
 * then refused to load.
 */
export const checkPolicyZoneArgv = (zoneFile: string) => ['named-checkzone', '-k', POLICY_CHECK_NAMES, POLICY_ZONE, zoneFile];

/** The records that block a domain and all its subdomains (relative to the policy zone). */
export function policyRecords(domain: string, action: BlockAction): string[] {
  const data = action.kind === 'sink' ? `A ${action.address}` : 'CNAME .';
  return [`${domain} IN ${data}`, `*.${domain} IN ${data}`];
}

/** The policy zone file as first installed: SOA, NS and the seed list. */
export function renderPolicyZone(domains: readonly string[], action: BlockAction, ttl: number): string {
  const records = [...new Set(domains)].sort().flatMap((domain) => policyRecords(domain, action));
  return `$TTL ${ttl}
@ IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 ${ttl}
@ IN NS localhost.
${records.map((record) => `${record}\n`).join('')}`;
}
