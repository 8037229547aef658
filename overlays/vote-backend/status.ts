/**
 * vote-backend's part of `mcdebian status`: the service's, the database setup's and MariaDB's
 * units, the service's own /healthz read on the device by its `health` mode (app/main.ts: votes
 * waiting in the journals, whether the workers reach the database), and on a Galera node the
 * node's wsrep status variables (MariaDB's "Galera Cluster Status Variables"): a node outside
 * the Primary component takes no writes.
 */
import type { DeviceOutput, OverlayHealth, OverlayStatus } from '../overlay.js';
import { describeUnitState, parseUnitStates, type UnitState, unitStateCommand } from '../unit-state.js';
import { DATABASE_UNIT, GALERA_CNF, MARIADB_SOCKET, MARIADB_UNIT, UNIT, WRAPPER } from './units.js';

const WSREP_VARIABLES = ['wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready'];

const COMMANDS = [
  unitStateCommand([UNIT, DATABASE_UNIT, MARIADB_UNIT]),
  `timeout 10 ${WRAPPER} health`,
  `[ -e ${GALERA_CNF} ] || exit 0; timeout 10 mariadb --no-defaults --socket=${MARIADB_SOCKET} --user=root --batch --skip-column-names `
  + `-e "SHOW GLOBAL STATUS WHERE Variable_name IN (${WSREP_VARIABLES.map((name) => `'${name}'`).join(', ')})"`,
];

/** The service's /healthz (app/worker.ts's healthOf). */
export interface VoteHealth {
  ok: boolean;
  /** What is wrong, in the service's own words (a journal that cannot write, workers off the database). */
  problems?: string[];
  workers?: number;
  journal?: { pending: number; bytes: number; degradedWorkers: number; full: boolean };
  database?: { connectedWorkers: number; up: boolean };
  accepted?: number;
  committed?: number;
}

/** What vote-backend's status says, for --json. */
export interface VoteBackendStatus {
  units: UnitState[];
  /** The service's /healthz; undefined when it could not be read (`error` says why). */
  health?: VoteHealth;
  error?: string;
  /** A Galera node's wsrep status variables; undefined on other images. */
  galera?: Record<string, string>;
}

function parseHealth(output: DeviceOutput | undefined): Pick<VoteBackendStatus, 'health' | 'error'> {
  if (output === undefined) return { error: 'the health query did not run' };
  if (output.code === 0) {
    try {
      return { health: JSON.parse(output.stdout) as VoteHealth };
    } catch {
      // fall through: report what it said
    }
  }
  const said = (output.stderr || output.stdout).trim().split('\n').slice(-2).join(' ');
  return { error: `the service's health could not be read (exit ${output.code})${said ? `: ${said}` : ''}` };
}

function parseGalera(output: DeviceOutput | undefined): Record<string, string> | undefined {
  const entries = (output?.stdout ?? '').split('\n').map((line) => line.split('\t')).filter((fields) => fields.length === 2 && WSREP_VARIABLES.includes(fields[0]!));
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function judge(status: VoteBackendStatus, now: number): string[] {
  const problems = status.units.filter((unit) => unit.loadState === 'loaded' && unit.activeState !== 'active')
    .map((unit) => `${unit.unit} is ${describeUnitState(unit, now)}`);
  if (status.error) problems.push(status.error);
  const { health, galera } = status;
  // the service judges its own health (app/worker.ts's healthOf): its words, so that the two never disagree
  problems.push(...(health?.problems ?? []));
  if (galera && galera.wsrep_cluster_status !== 'Primary') problems.push(`this Galera node is ${galera.wsrep_cluster_status ?? 'not'} in the Primary component (${galera.wsrep_local_state_comment ?? '?'}): it takes no writes`);
  return problems;
}

export function parseVoteBackendStatus(outputs: readonly DeviceOutput[], device: { now: number }): OverlayHealth {
  const units = parseUnitStates(outputs[0]?.stdout ?? '').filter((unit) => unit.loadState !== 'not-found');
  const status: VoteBackendStatus = { units, ...parseHealth(outputs[1]), galera: parseGalera(outputs[2]) };
  const lines = units.length > 0 ? [units.map((unit) => `${unit.unit} ${describeUnitState(unit, device.now)}`).join('; ')] : [];
  const { health, galera } = status;
  if (health) {
    lines.push(`${health.accepted ?? '?'} votes accepted, ${health.committed ?? '?'} committed, ${health.journal?.pending ?? '?'} waiting in the journals; `
      + `${health.database?.connectedWorkers ?? '?'} of ${health.workers ?? '?'} workers connected to the database`);
  }
  if (galera) lines.push(`Galera: ${galera.wsrep_cluster_status ?? '?'}, ${galera.wsrep_cluster_size ?? '?'} nodes, this one ${galera.wsrep_local_state_comment ?? '?'}`);
  return { problems: judge(status, device.now), lines, data: status };
}

export const voteBackendStatus: OverlayStatus = {
  units: [UNIT, DATABASE_UNIT, MARIADB_UNIT],
  commands: COMMANDS,
  parse: parseVoteBackendStatus,
};
