/**
 * Where the service finds its database: a remote MariaDB over TLS, verified against the CA the
 * config names (and refused, with the reason in the log, when another CA signed it), and
 * several endpoints, the next one used when one is down or fails.
 */
import type { ExecutionContext } from 'ava';
import { freePort } from '../../helpers/guest.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import type { RunningMariaDb } from './helpers/mariadb.js';
import { makeCa, makeServerCertificate } from './helpers/test-ca.js';
import { DATABASE, MARIADB_TOOLS, missingFrom, startVoteDatabase, tableCount, tableIds } from './helpers/vote-table.js';
import { postVote, startVoteService, waitUntil, type RunningVoteService } from './helpers/vote-service.js';
import { startVoters } from './helpers/voters.js';

const test = testNeeding({ tools: MARIADB_TOOLS }, { serial: true });
const testTls = testNeeding({ tools: { ...MARIADB_TOOLS, openssl: 'openssl' } }, { serial: true });

interface Health {
  problems: string[];
  database: { connectedWorkers: number; up: boolean; endpoints: Record<string, number> };
}

const health = async (service: RunningVoteService) => (await service.get('/healthz')).body as unknown as Health;
const tcp = (db: RunningMariaDb) => ({ host: '127.0.0.1', port: db.port });

/** database_errors_total over every code. */
async function databaseErrors(service: RunningVoteService): Promise<number> {
  const { text } = await service.get('/metrics');
  return [...text.matchAll(/^mcdebian_vote_database_errors_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Posts one vote, expects 202, and waits for it in the table. */
async function voteLands(t: ExecutionContext, service: RunningVoteService, db: RunningMariaDb, voter: string): Promise<void> {
  const answer = await postVote(service.url, { poll: 'final', choice: 'a', voter });
  t.is(answer.status, 202);
  await waitUntil(`vote ${String(answer.body.id)} in the table`, () => missingFrom(db, [String(answer.body.id)]), (missing) => missing.length === 0, 60_000)
    .catch((error: Error) => { throw new Error(`${error.message}\n${service.output().slice(-3000)}`); });
}

testTls('over TLS the service verifies the server\'s certificate against tls.caFile: it connects with the CA that signed it, and with another CA it refuses and logs why', async (t) => {
  const dir = await makeTempDir(t, 'vote-tls-');
  const ca = await makeCa(dir, 'right');
  const other = await makeCa(dir, 'other');
  const server = await makeServerCertificate(dir, ca, 'server');
  // TCP only with TLS: a service that fell back to plain text would be refused too
  const db = await startVoteDatabase(t, {
    dir, args: [`--ssl-ca=${ca.caFile}`, `--ssl-cert=${server.certFile}`, `--ssl-key=${server.keyFile}`, '--require-secure-transport=ON'],
  });
  const database = { endpoints: [tcp(db)], ...DATABASE };

  const verified = await startVoteService(t, { dir: `${dir}/right`, database: { ...database, tls: { caFile: ca.caFile } } });
  await waitUntil('the workers connected over TLS', () => health(verified), (body) => body.database.connectedWorkers === 2);
  await voteLands(t, verified, db, 'tls-voter');
  await verified.stop();

  const refused = await startVoteService(t, { dir: `${dir}/other`, database: { ...database, tls: { caFile: other.caFile } } });
  const logged = await refused.waitForOutput(/the database does not answer \(([^\n]*)\)/, { timeoutMs: 30_000 });
  t.log(logged[0]);
  t.regex(logged[1]!, new RegExp(`127\\.0\\.0\\.1:${db.port}: .*(certificate|verify)`), 'the log does not say the certificate was the problem');
  const down = await health(refused);
  t.false(down.database.up);
  t.true(down.problems.some((problem) => /not connected to the database/.test(problem)));
  const failuresBefore = await databaseErrors(refused);
  const answer = await postVote(refused.url, { poll: 'final', choice: 'b', voter: 'untrusted' });
  t.is(answer.status, 202, 'the vote waits in the journal');
  await waitUntil('a failed try with the vote pending', () => databaseErrors(refused), (failures) => failures > failuresBefore, 60_000);
  t.is(await refused.metric('journal_pending_votes'), 1);
  t.is(await tableCount(db), 1, 'only the vote sent with the right CA is in the table');
  await refused.stop();
});

test('with two endpoints and the first one down the service uses the second, and /healthz and /metrics name it', async (t) => {
  const dir = await makeTempDir(t, 'vote-endpoints-');
  const nobody = await freePort();
  const db = await startVoteDatabase(t, { dir });
  const service = await startVoteService(t, { dir, database: { endpoints: [{ host: '127.0.0.1', port: nobody }, tcp(db)], ...DATABASE, connectTimeoutMs: 1000 } });
  const second = `127.0.0.1:${db.port}`;
  const connected = await waitUntil('both workers on the second endpoint', () => health(service), (body) => body.database.endpoints[second] === 2);
  t.deepEqual(connected.database.endpoints, { [second]: 2 });
  t.is(await service.metric(`database_endpoint_workers{endpoint="${second}"}`), 2);
  t.notRegex((await service.get('/metrics')).text, new RegExp(`endpoint="127\\.0\\.0\\.1:${nobody}"`));
  await voteLands(t, service, db, 'second-endpoint');
  await service.stop();
});

test('when the endpoint in use is killed under load the service moves to the next one, and every vote answered 202 is in one of the two databases', async (t) => {
  const dir = await makeTempDir(t, 'vote-failover-');
  const first = await startVoteDatabase(t, { dir, name: 'first' });
  const second = await startVoteDatabase(t, { dir, name: 'second' });
  const service = await startVoteService(t, { dir, database: { endpoints: [tcp(first), tcp(second)], ...DATABASE, connectTimeoutMs: 1000 } });
  const names = { first: `127.0.0.1:${first.port}`, second: `127.0.0.1:${second.port}` };
  await waitUntil('both workers on the first endpoint', () => health(service), (body) => body.database.endpoints[names.first] === 2);
  const voters = startVoters(service.url, { clients: 8 });
  try {
    await voters.acceptedMore(300);
    await waitUntil('votes in the first database', () => tableCount(first), (rows) => rows > 0);
    await first.kill();
    await waitUntil('both workers on the second endpoint', () => health(service), (body) => body.database.endpoints[names.second] === 2, 60_000);
    await voters.acceptedMore(300);
  } finally {
    await voters.stop();
  }
  t.log(`answers ${JSON.stringify([...voters.answers])}`);
  t.is(await service.metric(`database_endpoint_workers{endpoint="${names.second}"}`), 2);
  // what the first had committed is read back from its data once it runs again
  await first.start();
  const missing = async () => {
    const [a, b] = [await tableIds(first), await tableIds(second)];
    return [...voters.accepted.keys()].filter((id) => !a.has(id) && !b.has(id));
  };
  const lost = await waitUntil('every accepted vote in one of the databases', missing, (ids) => ids.length === 0, 90_000).catch(missing);
  t.deepEqual(lost, [], 'votes answered 202 are in neither database');
  t.true(await tableCount(second) > 0);
  await service.stop();
});
