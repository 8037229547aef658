/**
 * callhome's part of `mcdebian status`: the tunnel unit's state (since when, restarts), whether
 * its ssh holds a TCP connection to the managed host (ss(8) shows the process of each socket to
 * root only), where the tunnel goes (`ssh -G` prints the options ssh would use, ssh(1)), and the
 * last line ssh wrote: with -N and BatchMode it writes only warnings and errors, so that line is
 * the last thing that went wrong.
 */
import type { DeviceOutput, OverlayHealth, OverlayStatus } from '../overlay.js';
import { describeUnitState, parseUnitStates, unitStateCommand, unknownUnitState, type UnitState } from '../unit-state.js';
import { SSH_CONFIG, UNIT } from './units.js';

/** ss exits with this when it cannot see which process holds a socket (not root). */
const NOT_ROOT = 77;

const COMMANDS = [
  unitStateCommand([UNIT]),
  `ssh -G -F ${SSH_CONFIG} callhome`,
  `[ "$(id -u)" = 0 ] || exit ${NOT_ROOT}; ss -H -t -n -p state established`,
  `journalctl _SYSTEMD_UNIT=${UNIT} -n 1 -o json --output-fields=MESSAGE --no-pager -q`,
];

/** What callhome's status says, for --json. */
export interface CallhomeHealth {
  unit: UnitState;
  /** Where the tunnel goes, from the device's ssh_config. */
  managedHost: { user?: string; host?: string; port?: number };
  /** Whether ssh holds a connection; undefined when that could not be seen (not root). */
  connected?: boolean;
  /** The far end of that connection, address:port. */
  peer?: string;
  /** The last line ssh wrote, and when (Unix seconds). */
  lastMessage?: { at: number; text: string };
}

function parseManagedHost(output: DeviceOutput): CallhomeHealth['managedHost'] {
  const value = (key: string) => output.stdout.split('\n').find((line) => line.startsWith(`${key} `))?.slice(key.length + 1).trim();
  const port = Number(value('port'));
  return { user: value('user'), host: value('hostname'), port: Number.isInteger(port) && port > 0 ? port : undefined };
}

/** The peer of the established connection whose process is `pid`, from `ss -Htnp` lines. */
export function findPeer(ssOutput: string, pid: number): string | undefined {
  if (pid <= 0) return undefined;
  const line = ssOutput.split('\n').find((entry) => entry.includes(`pid=${pid},`));
  // Recv-Q Send-Q Local:Port Peer:Port Process (no State column with a state filter)
  return line?.trim().split(/\s+/)[3];
}

/** journalctl -o json: one object per line; MESSAGE is a string, or bytes when it is not UTF-8. */
function parseLastMessage(output: DeviceOutput): CallhomeHealth['lastMessage'] {
  const line = output.stdout.trim().split('\n').at(-1);
  if (!line) return undefined;
  try {
    const entry = JSON.parse(line) as { MESSAGE?: unknown; __REALTIME_TIMESTAMP?: string };
    const text = Array.isArray(entry.MESSAGE) ? Buffer.from(entry.MESSAGE as number[]).toString('latin1') : String(entry.MESSAGE ?? '');
    return { at: Math.floor(Number(entry.__REALTIME_TIMESTAMP) / 1_000_000), text };
  } catch {
    return undefined;
  }
}

function judge(health: CallhomeHealth, now: number): string[] {
  const where = health.managedHost.host ? ` to ${health.managedHost.host}:${health.managedHost.port ?? 22}` : '';
  const last = health.lastMessage ? `; ssh's last message: ${health.lastMessage.text}` : '';
  if (health.unit.activeState !== 'active') return [`the tunnel${where} is down: ${UNIT} is ${describeUnitState(health.unit, now)}${last}`];
  if (health.connected === false) return [`the tunnel${where} is not connected: ssh is still trying (${UNIT} ${describeUnitState(health.unit, now)})${last}`];
  return [];
}

export function parseCallhomeStatus(outputs: readonly DeviceOutput[], device: { now: number }): OverlayHealth {
  const [unitOutput, hostOutput, socketOutput, journalOutput] = outputs;
  const unit = parseUnitStates(unitOutput?.stdout ?? '')[0] ?? unknownUnitState(UNIT);
  const seen = socketOutput !== undefined && socketOutput.code === 0;
  const peer = seen ? findPeer(socketOutput.stdout, unit.mainPid) : undefined;
  const health: CallhomeHealth = {
    unit,
    managedHost: hostOutput?.code === 0 ? parseManagedHost(hostOutput) : {},
    connected: seen ? peer !== undefined : undefined,
    peer,
    lastMessage: journalOutput ? parseLastMessage(journalOutput) : undefined,
  };
  const { user, host, port } = health.managedHost;
  const connection = health.connected === undefined ? 'connection not visible (log in as root to see it)' : health.connected ? `connected to ${peer}` : 'not connected';
  const lines = [`tunnel to ${user ?? '?'}@${host ?? '?'}:${port ?? '?'}: ${connection}; ${UNIT} ${describeUnitState(unit, device.now)}`];
  if (health.lastMessage) lines.push(`ssh's last message, ${new Date(health.lastMessage.at * 1000).toISOString().replace('.000Z', 'Z')}: ${health.lastMessage.text}`);
  return { problems: judge(health, device.now), lines, data: health };
}

export const callhomeStatus: OverlayStatus = {
  units: [UNIT],
  commands: COMMANDS,
  parse: parseCallhomeStatus,
};
