/** `mcdebian-vpn-azure status` as text: a few lines per tunnel, and why it is down when it is. */
import type { FailureReason } from './charon-log.js';
import type { ChildStatus, TunnelStatus, VpnStatus } from './tunnel-status.js';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

function describeChild(child: ChildStatus, now: number): string {
  const sa = child.sa;
  if (!sa || !child.up) return `  child ${child.name}: ${child.state}`;
  const installed = sa.installedSecondsAgo === undefined ? '' : `, installed ${iso(now - sa.installedSecondsAgo)}`;
  const rekey = sa.rekeyInSeconds === undefined ? '' : `, rekey in ${sa.rekeyInSeconds} s`;
  return `  child ${child.name}: ${sa.state} ESP ${sa.proposal}, in ${sa.bytesIn} bytes/${sa.packetsIn} packets, out ${sa.bytesOut} bytes/${sa.packetsOut} packets${installed}${rekey}`;
}

/** Repeated messages once each, with how often: a gateway down for an hour logs the same line every minute. */
function counted(messages: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const message of messages) counts.set(message, (counts.get(message) ?? 0) + 1);
  return [...counts].map(([message, count]) => (count > 1 ? `${message} (${count} times)` : message)).join('; ');
}

/** The reason in a sentence, naming both sides' proposals when they did not match. */
export function describeReason(tunnel: Pick<TunnelStatus, 'proposals' | 'azureAccepts'>, reason: FailureReason): string {
  const at = reason.at === undefined ? '' : ` (${iso(reason.at)})`;
  switch (reason.kind) {
    case 'no-proposal-chosen': {
      const theirs = reason.receivedProposals ? `; the gateway offered ${reason.receivedProposals}` : '';
      const ours = reason.configuredProposals ? `; charon has ${reason.configuredProposals}` : '';
      return `NO_PROPOSAL_CHOSEN${at}: no proposal both sides accept${theirs}${ours}; we propose IKE ${tunnel.proposals.ike.join(', ')} and ESP ${tunnel.proposals.esp.join(', ')}; Azure's policy accepts IKE ${tunnel.azureAccepts.ike.join(', ')} and ESP ${tunnel.azureAccepts.esp.join(', ')}: make the connection's policy match what is set on Azure`;
    }
    case 'authentication-failed':
      return `authentication failed${at}: the pre-shared key differs from the one set on Azure's connection (or the ids do not match): ${reason.messages.at(-1)}`;
    case 'peer-not-responding':
      return `the gateway does not answer${at}: ${counted(reason.messages)}; check that it is reachable on UDP 500/4500`;
    default:
      return `${reason.messages.at(-1)}${at}`;
  }
}

function describeTunnel(tunnel: TunnelStatus, now: number): string[] {
  const since = tunnel.establishedAt === undefined ? '' : ` since ${iso(tunnel.establishedAt)}`;
  const proposal = tunnel.ikeProposal ? ` IKE ${tunnel.ikeProposal}` : '';
  const lines = [`${tunnel.name} (connection ${tunnel.connection}, gateway ${tunnel.gateway}): ${tunnel.ikeState}${since}${proposal}`];
  lines.push(...tunnel.children.map((child) => describeChild(child, now)));
  const xfrm = tunnel.xfrm;
  if (xfrm) lines.push(`  interface ${xfrm.interface}: ${xfrm.error ? `routes not read: ${xfrm.error}` : xfrm.routesPresent ? `routes ${xfrm.routes.join(', ')}` : `routes missing (has ${xfrm.routes.join(', ') || 'none'})`}`);
  if (!tunnel.up) lines.push(`  down: ${tunnel.reason ? describeReason(tunnel, tunnel.reason) : tunnel.loaded ? 'charon logged no reason in the journal lines read' : 'charon has not loaded this connection: check swanctl --load-all and the journal of strongswan.service'}`);
  return lines;
}

export function describeStatus(status: VpnStatus): string {
  return `${status.tunnels.flatMap((tunnel) => describeTunnel(tunnel, status.now)).join('\n')}\n`;
}
