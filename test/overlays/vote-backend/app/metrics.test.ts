import test from 'ava';
import { emptySnapshot, mergeSnapshots, Metrics, renderMetrics, type Gauges } from '../../../../overlays/vote-backend/app/metrics.js';

const gauges = (change: Partial<Gauges> = {}): Gauges => ({ journalPending: 3, journalBytes: 600, journalDegraded: 0, journalFull: 0, databaseConnected: 1, databaseEndpoints: { '127.0.0.1:3306': 1 }, ...change });

/**
 * The exposition format's line grammar (Prometheus "Exposition formats", text format 0.0.4):
 * comments `# HELP name text` and `# TYPE name type`, samples `name{label="value",...} number`,
 * label values with only \\, \" and \n escaped.
 */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/;
const COMMENT = /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/;

test('a worker\'s snapshot has its counters, its gauges as read now, and counts one worker', (t) => {
  const metrics = new Metrics(() => gauges());
  metrics.accepted();
  metrics.accepted();
  metrics.rejected('poll_closed');
  metrics.batchCommitted(2, 0.02);
  metrics.databaseError(Object.assign(new Error('x'), { code: 'ER_LOCK_DEADLOCK' }));
  metrics.databaseError(new Error('no code'));
  t.like(metrics.snapshot(), { accepted: 2, rejected: { poll_closed: 1 }, committed: 2, databaseErrors: { ER_LOCK_DEADLOCK: 1, OTHER: 1 }, workers: 1, starting: 0, journalPending: 3, databaseConnected: 1 });
});

test('the server\'s numbers are the sum of its workers\'', (t) => {
  const one = new Metrics(() => gauges());
  const two = new Metrics(() => gauges({ journalPending: 4, databaseConnected: 0, databaseEndpoints: {} }));
  one.batchCommitted(5, 0.001);
  two.batchCommitted(50_000, 20);
  two.rejected('voter_limit');
  const total = mergeSnapshots([one.snapshot(), two.snapshot(), { ...emptySnapshot(), workers: 1, starting: 1 }]);
  t.like(total, { workers: 3, starting: 1, committed: 50_005, journalPending: 7, databaseConnected: 1, databaseEndpoints: { '127.0.0.1:3306': 1 }, rejected: { voter_limit: 1 } });
  t.is(total.batchSize.counts.reduce((sum, count) => sum + count, 0), 2);
  t.is(total.commitSeconds.counts.at(-1), 1, 'a 20 s commit is in the +Inf bucket only');
});

test('the text is Prometheus\' exposition format: every line a comment or a sample, each series announced by HELP and TYPE', (t) => {
  const metrics = new Metrics(() => gauges());
  metrics.rejected('malformed');
  metrics.batchCommitted(7, 0.3);
  const text = renderMetrics(metrics.snapshot());
  t.true(text.endsWith('\n'));
  const lines = text.trimEnd().split('\n');
  for (const line of lines) t.true(SAMPLE.test(line) || COMMENT.test(line), line);
  const typed = new Set(lines.filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]));
  for (const line of lines.filter((line) => !line.startsWith('#'))) t.true(typed.has(line.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, '')), line);
});

test('histograms are cumulative, end at +Inf and count what they sum', (t) => {
  const metrics = new Metrics(() => gauges());
  for (const size of [1, 5, 5, 10_000, 200_000]) metrics.batchCommitted(size, 0.01);
  const text = renderMetrics(metrics.snapshot());
  t.regex(text, /^mcdebian_vote_batch_size_votes_bucket\{le="1"\} 1$/m);
  t.regex(text, /^mcdebian_vote_batch_size_votes_bucket\{le="10"\} 3$/m);
  t.regex(text, /^mcdebian_vote_batch_size_votes_bucket\{le="10000"\} 4$/m);
  t.regex(text, /^mcdebian_vote_batch_size_votes_bucket\{le="\+Inf"\} 5$/m);
  t.regex(text, /^mcdebian_vote_batch_size_votes_sum 210011$/m);
  t.regex(text, /^mcdebian_vote_batch_size_votes_count 5$/m);
});

test('label values escape backslash, double quote and line feed', (t) => {
  const text = renderMetrics({ ...emptySnapshot(), workers: 1, databaseConnected: 1, databaseEndpoints: { 'a"b\\c\nd': 1 } });
  t.regex(text, /^mcdebian_vote_database_endpoint_workers\{endpoint="a\\"b\\\\c\\nd"\} 1$/m);
});

test('the text has every number the service promises: accepted, rejected by reason, journal depth, batch size, commit latency, database errors, starting workers', (t) => {
  const metrics = new Metrics(() => gauges());
  metrics.rejected('too_large');
  metrics.databaseError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }));
  const text = renderMetrics(metrics.snapshot());
  for (const line of ['mcdebian_vote_accepted_total 0', 'mcdebian_vote_rejected_total{reason="too_large"} 1', 'mcdebian_vote_journal_pending_votes 3', 'mcdebian_vote_batch_size_votes_count 0',
    'mcdebian_vote_commit_seconds_count 0', 'mcdebian_vote_database_errors_total{code="ECONNREFUSED"} 1', 'mcdebian_vote_starting_workers 0']) t.true(text.split('\n').includes(line), line);
});

test('an error code that is not a plain code is counted as OTHER', (t) => {
  const metrics = new Metrics(() => gauges());
  metrics.databaseError(Object.assign(new Error('x'), { code: 'bad code"\n' }));
  t.deepEqual(metrics.snapshot().databaseErrors, { OTHER: 1 });
});
