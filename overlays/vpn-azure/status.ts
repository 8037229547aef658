/**
 * vpn-azure's part of `mcdebian status`: strongswan.service's unit and the device's own
 * `mcdebian-vpn-azure status --json` (app/main.ts): each tunnel's IKE and CHILD state and why a
 * tunnel is down. charon not running or a connection not loaded are problems of the image; a
 * tunnel down is a problem too (Azure may be down), which is why the boot's health check does
 * not read this.
 */
import type { DeviceOutput, OverlayHealth, OverlayStatus } from '../overlay.js';
import { describeUnitState, parseUnitStates, unitStateCommand, type UnitState } from '../unit-state.js';
import { describeReason } from './app/describe-status.js';
import type { TunnelStatus, VpnStatus } from './app/tunnel-status.js';

const UNIT = 'strongswan.service';
/** The device's tool (the overlay installs it). */
export const DEVICE_TOOL = '/usr/sbin/mcdebian-vpn-azure';

/** What vpn-azure's status says, for --json. */
export interface VpnAzureStatus {
  unit?: UnitState;
  /** The device tool's report; undefined when it gave none (`error` says why). */
  vpn?: VpnStatus;
  error?: string;
}

function parseReport(output: DeviceOutput | undefined): Pick<VpnAzureStatus, 'vpn' | 'error'> {
  if (output === undefined) return { error: 'the status tool did not run' };
  try {
    const report = JSON.parse(output.stdout) as Partial<VpnStatus> & { error?: string; hint?: string };
    if (Array.isArray(report.tunnels)) return { vpn: report as VpnStatus };
    if (report.error) return { error: `${report.error} (${report.hint ?? 'systemctl status strongswan'})` };
  } catch {
    // fall through: report what it said
  }
  const said = (output.stderr || output.stdout).trim().split('\n').slice(-2).join(' ');
  return { error: `${DEVICE_TOOL} status exited ${output.code}${said ? `: ${said}` : ''}` };
}

function tunnelProblem(tunnel: TunnelStatus): string | undefined {
  if (tunnel.up) return undefined;
  if (!tunnel.loaded) return `charon has not loaded connection ${tunnel.name} (gateway ${tunnel.gateway}): check swanctl --load-all and journalctl -u strongswan`;
  const why = tunnel.reason ? describeReason(tunnel, tunnel.reason) : 'charon logged no reason';
  return `tunnel ${tunnel.name} to ${tunnel.gateway} is ${tunnel.ikeState === 'ESTABLISHED' ? 'up without all its children' : tunnel.ikeState}: ${why}`;
}

function describeTunnel(tunnel: TunnelStatus, now: number): string {
  const children = tunnel.children.map((child) => `${child.name} ${child.state}${child.sa ? ` (in ${child.sa.bytesIn} B, out ${child.sa.bytesOut} B)` : ''}`).join(', ');
  const since = tunnel.establishedAt === undefined ? '' : ` for ${now - tunnel.establishedAt} s`;
  const routes = tunnel.xfrm ? `; ${tunnel.xfrm.interface} routes ${tunnel.xfrm.routesPresent ? 'present' : 'missing'}` : '';
  return `tunnel ${tunnel.name} to ${tunnel.gateway}: ${tunnel.ikeState}${since}${tunnel.ikeProposal ? ` ${tunnel.ikeProposal}` : ''}; ${children}${routes}`;
}

export function parseVpnAzureStatus(outputs: readonly DeviceOutput[], device: { now: number }): OverlayHealth {
  const status: VpnAzureStatus = { unit: parseUnitStates(outputs[0]?.stdout ?? '').find((unit) => unit.unit === UNIT), ...parseReport(outputs[1]) };
  const problems: string[] = [];
  if (status.unit && status.unit.activeState !== 'active') problems.push(`${UNIT} is ${describeUnitState(status.unit, device.now)}`);
  if (status.error) problems.push(status.error);
  const tunnels = status.vpn?.tunnels ?? [];
  problems.push(...tunnels.flatMap((tunnel) => tunnelProblem(tunnel) ?? []));
  const lines = status.unit ? [`${UNIT} ${describeUnitState(status.unit, device.now)}`] : [];
  lines.push(...tunnels.map((tunnel) => describeTunnel(tunnel, status.vpn?.now ?? device.now)));
  return { problems, lines, data: status };
}

export const vpnAzureStatus: OverlayStatus = {
  units: [UNIT],
  commands: [unitStateCommand([UNIT]), `${DEVICE_TOOL} status --json`],
  parse: parseVpnAzureStatus,
};
