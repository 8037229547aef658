/**
 * smpp-relay's part of `mcdebian status`: the relay's unit, and its own /status.json read on
 * the device by `main.mjs status` (app/status-query.ts, which brings the status password from
 * the relay's kannel.conf without printing it): each link's bind state and health, the queues,
 * the store.
 */
import type { DeviceOutput, OverlayHealth, OverlayStatus } from '../overlay.js';
import { describeUnitState, parseUnitStates, unitStateCommand, type UnitState } from '../unit-state.js';
import type { LinkStatus, RelayStatus } from './app/status.js';
import { APP_PATH, CONF_SECRET, UNIT } from './units.js';

const COMMANDS = [
  unitStateCommand([UNIT]),
  `/usr/bin/node ${APP_PATH} status --config ${CONF_SECRET}`,
];

/** What smpp-relay's status says, for --json. */
export interface SmppRelayStatus {
  unit?: UnitState;
  /** The relay's /status.json; undefined when it could not be read (`error` says why). */
  relay?: RelayStatus;
  error?: string;
}

function parseRelay(output: DeviceOutput | undefined): Pick<SmppRelayStatus, 'relay' | 'error'> {
  if (output === undefined) return { error: 'the status query did not run' };
  if (output.code === 0) {
    try {
      return { relay: JSON.parse(output.stdout) as RelayStatus };
    } catch {
      // fall through: report what it said
    }
  }
  const said = (output.stderr || output.stdout).trim().split('\n').slice(-2).join(' ');
  return { error: `the relay's status could not be read (exit ${output.code})${said ? `: ${said}` : ''}` };
}

const linkName = (link: LinkStatus) => `link ${link.name}${link.smscId !== link.name ? ` (${link.smscId})` : ''} to ${link.host}:${link.port}`;

/** The last thing that went wrong on a link: its health's last failure, else the link's last error. */
function lastError(link: LinkStatus): string {
  const error = link.health.lastFailure ?? link.counters.lastError;
  return error === undefined || error === '' ? '' : `: ${error}`;
}

function linkProblem(link: LinkStatus): string | undefined {
  if (link.state !== 'bound') return `${linkName(link)} is ${link.state}${lastError(link)}`;
  if (link.health.state !== 'in') return `${linkName(link)} is bound but ${link.health.state === 'out' ? 'out of rotation' : 'on probation'}${lastError(link)}`;
  return undefined;
}

function judge(status: SmppRelayStatus, now: number): string[] {
  const problems: string[] = [];
  if (status.unit && status.unit.activeState !== 'active') problems.push(`${UNIT} is ${describeUnitState(status.unit, now)}`);
  if (status.error) problems.push(status.error);
  const relay = status.relay;
  if (!relay) return problems;
  problems.push(...relay.links.flatMap((link) => linkProblem(link) ?? []));
  if (relay.store.state !== 'writable') problems.push(`the message store ${relay.store.path} is not writable since ${relay.store.since}: ${relay.store.lastError}; new messages are refused`);
  return problems;
}

function describeLink(link: LinkStatus): string {
  const state = link.state === 'bound' ? `bound ${link.onlineSeconds ?? 0} s` : link.state;
  return `${linkName(link)}: ${state}, health ${link.health.state}, queued ${link.queued}, in flight ${link.inFlight}/${link.window}`;
}

export function parseSmppRelayStatus(outputs: readonly DeviceOutput[], device: { now: number }): OverlayHealth {
  const status: SmppRelayStatus = { unit: parseUnitStates(outputs[0]?.stdout ?? '')[0], ...parseRelay(outputs[1]) };
  const lines = status.unit ? [`${UNIT} ${describeUnitState(status.unit, device.now)}`] : [];
  const relay = status.relay;
  if (relay) {
    lines.push(...relay.links.map(describeLink));
    lines.push(`messages: ${relay.messages.open} open, ${relay.waiting} parts waiting for a link, ${relay.receipts.awaited} receipts awaited, ${relay.dlrUrls.pending} DLR URLs pending`);
    lines.push(`store ${relay.store.path}: ${relay.store.bytes} bytes, ${relay.store.state}${relay.store.quarantined > 0 ? `, ${relay.store.quarantined} damaged lines quarantined` : ''}`);
  }
  return { problems: judge(status, device.now), lines, data: status };
}

export const smppRelayStatus: OverlayStatus = {
  units: [UNIT],
  commands: COMMANDS,
  parse: parseSmppRelayStatus,
};
