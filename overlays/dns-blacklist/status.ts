/**
 * dns-blacklist's part of `mcdebian status`: named's and the admin service's units, and the
 * service's own `health` mode (app/health.ts) run as root through the device's wrapper, which
 * hands it named's session key: whether the API answers and how many domains the zone blocks.
 */
import type { DeviceOutput, OverlayHealth, OverlayStatus } from '../overlay.js';
import { describeUnitState, parseUnitStates, unitStateCommand, type UnitState } from '../unit-state.js';
import type { BlacklistHealth } from './app/health.js';
import { UNITS } from './units.js';

const NAMED = 'named.service';

const COMMANDS = [
  unitStateCommand([NAMED, UNITS.admin]),
  '/usr/sbin/mcdebian-dns-blacklist health',
];

/** What dns-blacklist's status says, for --json. */
export interface DnsBlacklistStatus {
  named?: UnitState;
  admin?: UnitState;
  /** The service's own answer; undefined when its health mode failed (`error` says why). */
  health?: BlacklistHealth;
  error?: string;
}

/** The health mode's JSON, or why there is none (the tail of what it said). */
function parseHealth(output: DeviceOutput | undefined): Pick<DnsBlacklistStatus, 'health' | 'error'> {
  if (output === undefined) return { error: 'the health check did not run' };
  try {
    return { health: JSON.parse(output.stdout) as BlacklistHealth };
  } catch {
    const said = (output.stderr || output.stdout).trim().split('\n').slice(-2).join(' ');
    return { error: `mcdebian-dns-blacklist health exited ${output.code}${said ? `: ${said}` : ''}` };
  }
}

function judge(status: DnsBlacklistStatus, now: number): string[] {
  const problems: string[] = [];
  for (const unit of [status.named, status.admin]) {
    if (unit && unit.activeState !== 'active') problems.push(`${unit.unit} is ${describeUnitState(unit, now)}`);
  }
  if (status.error) problems.push(status.error);
  const api = status.health?.api;
  if (api && !api.answering) problems.push(`the admin API does not answer at ${api.url}: ${api.error ?? `HTTP ${api.status}`}`);
  const zone = status.health?.zone;
  if (zone?.error) problems.push(`the policy zone ${zone.name} could not be read: ${zone.error}`);
  return problems;
}

export function parseDnsBlacklistStatus(outputs: readonly DeviceOutput[], device: { now: number }): OverlayHealth {
  const units = parseUnitStates(outputs[0]?.stdout ?? '');
  const status: DnsBlacklistStatus = { named: units.find((unit) => unit.unit === NAMED), admin: units.find((unit) => unit.unit === UNITS.admin), ...parseHealth(outputs[1]) };
  const lines = [[status.named, status.admin].filter((unit) => unit !== undefined).map((unit) => `${unit.unit} ${describeUnitState(unit, device.now)}`).join('; ')];
  const { api, zone } = status.health ?? {};
  if (zone?.domains !== undefined) lines.push(`policy zone ${zone.name}: ${zone.domains} blocked domain${zone.domains === 1 ? '' : 's'}`);
  if (api) lines.push(`admin API ${api.url}: ${api.answering ? 'answers' : 'does not answer'}`);
  return { problems: judge(status, device.now), lines, data: status };
}

export const dnsBlacklistStatus: OverlayStatus = {
  units: [UNITS.admin, NAMED, UNITS.bindKeys],
  commands: COMMANDS,
  parse: parseDnsBlacklistStatus,
};
