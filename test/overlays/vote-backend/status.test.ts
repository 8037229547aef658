/**
 * vote-backend's part of `mcdebian status`: systemctl's blocks, the service's /healthz as its
 * own healthOf makes it (so that the two cannot drift), and a Galera node's wsrep variables as
 * `mariadb --batch --skip-column-names` prints them.
 */
import test from 'ava';
import { parseConfig } from '../../../overlays/vote-backend/app/config.js';
import { emptySnapshot, type MetricsSnapshot } from '../../../overlays/vote-backend/app/metrics.js';
import { healthOf } from '../../../overlays/vote-backend/app/worker.js';
import { renderServiceConfig } from '../../../overlays/vote-backend/render.js';
import { parseVoteBackendStatus, voteBackendStatus } from '../../../overlays/vote-backend/status.js';
import { parse, server } from './fixtures.js';

const now = 1_796_640_000;
const config = parseConfig(JSON.parse(renderServiceConfig(parse(), server)), 'config.json', { CREDENTIALS_DIRECTORY: '/run/credentials/x' });

const unit = (name: string, state = 'active', since = now - 90) =>
  `Id=${name}\nLoadState=loaded\nActiveState=${state}\nSubState=${state === 'active' ? 'running' : 'dead'}\nResult=success\nNRestarts=0\nMainPID=42\nActiveEnterTimestamp=@${since}\n`;
const units = (service = 'active') => ({
  stdout: [unit('mcdebian-vote-backend.service', service), unit('mcdebian-vote-backend-database.service'), unit('mariadb.service')].join('\n'), stderr: '', code: 0,
});
const health = (snapshot: Partial<MetricsSnapshot>) => ({ stdout: `${JSON.stringify(healthOf({ ...emptySnapshot(), workers: 2, databaseConnected: 2, ...snapshot }, config))}\n`, stderr: '', code: 0 });
const noGalera = { stdout: '', stderr: '', code: 0 };

test('a healthy service: no problem, one line for the units and one for the votes', (t) => {
  const status = parseVoteBackendStatus([units(), health({ accepted: 1200, committed: 1100, journalPending: 100 }), noGalera], { now });
  t.deepEqual(status.problems, []);
  t.regex(status.lines[0]!, /^mcdebian-vote-backend\.service active since .*; mcdebian-vote-backend-database\.service active .*; mariadb\.service active/);
  t.is(status.lines[1], '1200 votes accepted, 1100 committed, 100 waiting in the journals; 2 of 2 workers connected to the database');
  t.is(status.lines.length, 2);
});

test('a worker off the database is a problem in the service\'s own words', (t) => {
  const status = parseVoteBackendStatus([units(), health({ databaseConnected: 1, journalPending: 5 }), noGalera], { now });
  t.deepEqual(status.problems, ['1 of 2 workers are not connected to the database: their votes wait in the journal']);
});

test('journals at their bound: the 503s are a problem', (t) => {
  const status = parseVoteBackendStatus([units(), health({ journalFull: 2, journalPending: 2_000_000 }), noGalera], { now });
  t.is(status.problems.length, 1);
  t.regex(status.problems[0]!, /^2 of 2 workers hold the most votes they may for the database \(maxPendingVotes 2000000 for the server\)/);
});

test('a stopped service whose health cannot be read: the unit and the reason, from the last lines it printed', (t) => {
  const status = parseVoteBackendStatus([units('failed'), { stdout: '', stderr: 'error: connect ECONNREFUSED 127.0.0.1:8080\n', code: 1 }, noGalera], { now });
  t.is(status.problems.length, 2);
  t.regex(status.problems[0]!, /^mcdebian-vote-backend\.service is failed/);
  t.is(status.problems[1], 'the service\'s health could not be read (exit 1): error: connect ECONNREFUSED 127.0.0.1:8080');
});

test('a Galera node outside the Primary component takes no writes: a problem naming its state', (t) => {
  const wsrep = { stdout: 'wsrep_cluster_size\t1\nwsrep_cluster_status\tnon-Primary\nwsrep_local_state_comment\tInitialized\nwsrep_ready\tOFF\n', stderr: '', code: 0 };
  const status = parseVoteBackendStatus([units(), health({}), wsrep], { now });
  t.deepEqual(status.problems, ['this Galera node is non-Primary in the Primary component (Initialized): it takes no writes']);
  t.is(status.lines.at(-1), 'Galera: non-Primary, 1 nodes, this one Initialized');
  t.deepEqual((status.data as { galera?: object }).galera, { wsrep_cluster_size: '1', wsrep_cluster_status: 'non-Primary', wsrep_local_state_comment: 'Initialized', wsrep_ready: 'OFF' });
});

test('the status commands ask systemd for the three units and MariaDB only where the Galera settings are', (t) => {
  t.deepEqual(voteBackendStatus.units, ['mcdebian-vote-backend.service', 'mcdebian-vote-backend-database.service', 'mariadb.service']);
  t.regex(voteBackendStatus.commands[2]!, /^\[ -e \/etc\/mysql\/mariadb\.conf\.d\/70-mcdebian-galera\.cnf \] \|\| exit 0; timeout 10 mariadb /);
});
