/**
 * systemd units as `systemctl show` reports them, for the overlays' parts of `mcdebian status`.
 * With several units, systemctl prints one block of `Key=Value` lines per unit, in the order
 * given, separated by an empty line (systemctl(1), show); `--timestamp=unix` prints times as
 * `@SECONDS` (systemd 251 and later; Debian 13 has 257).
 */

/** The properties read: what is running, since when, how often systemd restarted it. */
const PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'Result', 'NRestarts', 'MainPID', 'ActiveEnterTimestamp'];

/** One unit's state. */
export interface UnitState {
  unit: string;
  /** loaded, not-found, masked... */
  loadState: string;
  /** active, activating, deactivating, failed, inactive. */
  activeState: string;
  subState: string;
  /** success, exit-code, signal, timeout...: how the last run ended. */
  result: string;
  /** Restarts by Restart= since the unit was last started by hand or at boot. */
  restarts: number;
  /** The main process, 0 when none. */
  mainPid: number;
  /** When it last became active (Unix seconds); undefined when it never did. */
  activeSince?: number;
}

/** The command that prints the units' states, one block each. */
export const unitStateCommand = (units: readonly string[]) =>
  `systemctl show --timestamp=unix -p ${PROPERTIES.join(',')} -- ${units.join(' ')}`;

function toState(values: Map<string, string>): UnitState {
  const since = /^@(\d+)$/.exec(values.get('ActiveEnterTimestamp') ?? '')?.[1];
  const number = (key: string) => {
    const value = Number(values.get(key));
    return Number.isFinite(value) ? value : 0;
  };
  return {
    unit: values.get('Id') ?? '',
    loadState: values.get('LoadState') ?? 'unknown',
    activeState: values.get('ActiveState') ?? 'unknown',
    subState: values.get('SubState') ?? 'unknown',
    result: values.get('Result') ?? '',
    restarts: number('NRestarts'),
    mainPid: number('MainPID'),
    activeSince: since === undefined || since === '0' ? undefined : Number(since),
  };
}

/** A unit systemctl said nothing about (its command failed): every state unknown. */
export const unknownUnitState = (unit: string): UnitState => toState(new Map([['Id', unit]]));

/** The blocks of `unitStateCommand`'s output, in order. */
export function parseUnitStates(output: string): UnitState[] {
  return output.split(/\n\s*\n/).map((block) => {
    const values = new Map<string, string>();
    for (const line of block.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
    }
    return values;
  }).filter((values) => values.size > 0).map(toState);
}

/** "1 h 5 min", "3 min 20 s", "12 s": a duration for a person. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${s % 60} s`;
  return `${s} s`;
}

/** "active since 2025-12-06 22:40:01 UTC (12 min)", "failed (exit-code)": a unit's state for a person. */
export function describeUnitState(state: UnitState, now: number): string {
  if (state.loadState !== 'loaded') return `${state.loadState}`;
  const restarts = state.restarts > 0 ? `, ${state.restarts} restart${state.restarts === 1 ? '' : 's'}` : '';
  if (state.activeState !== 'active') {
    const why = state.result && state.result !== 'success' ? ` (last run: ${state.result})` : '';
    return `${state.activeState}${state.subState !== state.activeState ? `/${state.subState}` : ''}${why}${restarts}`;
  }
  if (state.activeSince === undefined) return `active${restarts}`;
  const at = new Date(state.activeSince * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `active since ${at} (${formatDuration(now - state.activeSince)})${restarts}`;
}
