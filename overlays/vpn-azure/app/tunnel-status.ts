/**
 * Each tunnel's state, from the tunnels file and what charon, the kernel's routes and the journal
 * say: pure, so that tests feed it recorded outputs. `mcdebian-vpn-azure status` prints it and
 * `mcdebian status` reads it as JSON.
 */
import type { FailureReason } from './charon-log.js';
import type { ChildSa, IkeSa, LoadedConnection } from './charon-state.js';
import type { TunnelRecord, TunnelsFile } from './tunnels-file.js';

/** One CHILD_SA's state, or "down" when the tunnel's IKE_SA has no such child. */
export interface ChildStatus {
  name: string;
  state: string;
  up: boolean;
  /** Present while the child is up. */
  sa?: ChildSa;
}

/** One tunnel (one IKE connection to one Azure gateway). */
export interface TunnelStatus {
  name: string;
  connection: string;
  gateway: string;
  /** charon has the connection loaded. */
  loaded: boolean;
  /** The IKE_SA's state: ESTABLISHED, CONNECTING..., "not loaded" or "down" (loaded, no IKE_SA). */
  ikeState: string;
  /** The IKE_SA and every child are up. */
  up: boolean;
  /** When the IKE_SA was established (Unix seconds). */
  establishedAt?: number;
  ikeProposal?: string;
  children: ChildStatus[];
  /** Route-based: the XFRM interface and whether routes through it are in the main table. */
  xfrm?: { interface: string; routes: string[]; routesPresent: boolean; error?: string };
  /** Why it is down, from charon's log. */
  reason?: FailureReason;
  /** What we propose and what Azure accepts under the connection's policy (strongSwan syntax). */
  proposals: TunnelRecord['proposals'];
  azureAccepts: TunnelRecord['azureAccepts'];
}

/** The whole report: `--json` prints it. */
export interface VpnStatus {
  mode: TunnelsFile['mode'];
  /** The device's clock when it was taken (Unix seconds). */
  now: number;
  tunnels: TunnelStatus[];
}

/** What was read on the device, per source. */
export interface Observations {
  now: number;
  sas: readonly IkeSa[];
  conns: readonly LoadedConnection[];
  /** `ip -j route show dev IF` per interface, parsed; an Error when ip failed. */
  routes: ReadonlyMap<string, readonly { dst: string }[] | Error>;
  reasons: ReadonlyMap<string, FailureReason>;
}

const CHILD_UP = new Set(['INSTALLED', 'REKEYING', 'REKEYED']);
const IKE_UP = new Set(['ESTABLISHED', 'REKEYING', 'REKEYED']);

/** The IKE_SA charon has for a tunnel: an established one before one still connecting. */
function ikeSaOf(record: TunnelRecord, sas: readonly IkeSa[]): IkeSa | undefined {
  const candidates = sas.filter((sa) => sa.name === record.name);
  return candidates.find((sa) => IKE_UP.has(sa.state)) ?? candidates[0];
}

function childrenOf(record: TunnelRecord, sa: IkeSa | undefined): ChildStatus[] {
  return record.children.map((name) => {
    const children = (sa?.children ?? []).filter((child) => child.name === name);
    const child = children.find((candidate) => CHILD_UP.has(candidate.state)) ?? children[0];
    return child ? { name, state: child.state, up: CHILD_UP.has(child.state), sa: child } : { name, state: 'down', up: false };
  });
}

function xfrmOf(record: TunnelRecord, routes: Observations['routes']): TunnelStatus['xfrm'] {
  if (!record.xfrm) return undefined;
  const found = routes.get(record.xfrm.interface);
  if (found === undefined || found instanceof Error) {
    return { interface: record.xfrm.interface, routes: [], routesPresent: false, error: found?.message ?? 'not read' };
  }
  const destinations = found.map((route) => route.dst);
  return { interface: record.xfrm.interface, routes: destinations, routesPresent: record.remoteSubnets.every((subnet) => destinations.includes(subnet)) };
}

/** One tunnel's status. */
export function statusOf(record: TunnelRecord, observed: Observations): TunnelStatus {
  const loaded = observed.conns.some((conn) => conn.name === record.name);
  const sa = ikeSaOf(record, observed.sas);
  const children = childrenOf(record, sa);
  const ikeUp = sa !== undefined && IKE_UP.has(sa.state);
  const up = loaded && ikeUp && children.every((child) => child.up);
  return {
    name: record.name,
    connection: record.connection,
    gateway: record.gateway,
    loaded,
    ikeState: sa?.state ?? (loaded ? 'down' : 'not loaded'),
    up,
    establishedAt: ikeUp && sa.establishedSecondsAgo !== undefined ? observed.now - sa.establishedSecondsAgo : undefined,
    ikeProposal: sa?.proposal,
    children,
    xfrm: xfrmOf(record, observed.routes),
    reason: up ? undefined : observed.reasons.get(record.name),
    proposals: record.proposals,
    azureAccepts: record.azureAccepts,
  };
}

export function vpnStatusOf(file: TunnelsFile, observed: Observations): VpnStatus {
  return { mode: file.mode, now: observed.now, tunnels: file.tunnels.map((record) => statusOf(record, observed)) };
}

/** Exit codes of `status`: 0 all up, 3 some tunnel down (1, charon unreachable, is main's). */
export const exitCodeOf = (status: VpnStatus) => (status.tunnels.every((tunnel) => tunnel.up) ? 0 : 3);
