import test from 'ava';
import { checkAgainstPolls, indexPolls, parseIdempotencyKey, parseVoteRequest, VoteRefusal, type VoteRequest } from '../../../../overlays/vote-backend/app/vote-request.js';
import { NOW, testConfig } from './fixtures.js';

const polls = indexPolls(testConfig().polls);
const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';

const parses = test.macro({
  exec(t, options: { body: string; contentType?: string; key?: string | string[] }, expected: VoteRequest) {
    t.deepEqual(parseVoteRequest({ body: options.body, contentType: options.contentType, idempotencyKey: options.key }), expected);
  },
  title: (given) => `reads ${given}`,
});

test('a JSON vote', parses, { body: '{"poll":"show","choice":"a"}', contentType: JSON_TYPE }, { poll: 'show', choice: 'a' });
test('a JSON vote with a charset and a voter', parses, { body: '{"poll":"show","choice":"b","voter":"dev-42"}', contentType: 'Application/JSON; charset=utf-8' }, { poll: 'show', choice: 'b', voter: 'dev-42' });
test('a JSON vote without a content type', parses, { body: '{"poll":"show","choice":"a"}' }, { poll: 'show', choice: 'a' });
test('a form post', parses, { body: 'poll=show&choice=b&voter=x%2By', contentType: FORM }, { poll: 'show', choice: 'b', voter: 'x+y' });
test('an empty voter as no voter', parses, { body: '{"poll":"show","choice":"a","voter":""}', contentType: JSON_TYPE }, { poll: 'show', choice: 'a' });
test('a quoted Idempotency-Key (a Structured Field string)', parses, { body: '{"poll":"show","choice":"a"}', key: '"4f8c\\"0a\\\\5e"' }, { poll: 'show', choice: 'a', key: '4f8c"0a\\5e' });
test('a bare-token Idempotency-Key', parses, { body: '{"poll":"show","choice":"a"}', key: ' abc-123 ' }, { poll: 'show', choice: 'a', key: 'abc-123' });
test('a JSON vote whose __proto__ field is only a field', parses, { body: '{"__proto__":{"voter":"x"},"poll":"show","choice":"a"}', contentType: JSON_TYPE }, { poll: 'show', choice: 'a' });

const refuses = test.macro({
  exec(t, options: { body: string; contentType?: string; key?: string | string[] }, expected: { status: number; reason: string; message: RegExp }) {
    const error = t.throws(() => parseVoteRequest({ body: options.body, contentType: options.contentType, idempotencyKey: options.key }), { instanceOf: VoteRefusal });
    t.like(error, { status: expected.status, reason: expected.reason });
    t.regex(error!.message, expected.message);
  },
  title: (given) => `refuses ${given}`,
});

const malformed = (message: RegExp) => ({ status: 400, reason: 'malformed', message });
test('a body that is not JSON', refuses, { body: '{"poll":', contentType: JSON_TYPE }, malformed(/the body is not JSON/));
test('JSON that is not an object', refuses, { body: '["show","a"]', contentType: JSON_TYPE }, malformed(/must be a JSON object/));
test('JSON null', refuses, { body: 'null', contentType: JSON_TYPE }, malformed(/must be a JSON object/));
test('a vote without a poll', refuses, { body: '{"choice":"a"}', contentType: JSON_TYPE }, malformed(/"poll" is missing/));
test('a vote without a choice', refuses, { body: 'poll=show', contentType: FORM }, malformed(/"choice" is missing/));
test('a poll id that is not a string', refuses, { body: '{"poll":7,"choice":"a"}', contentType: JSON_TYPE }, malformed(/"poll" must be a poll or choice id/));
test('a choice id with a space', refuses, { body: '{"poll":"show","choice":"a b"}', contentType: JSON_TYPE }, malformed(/"choice" must be/));
test('a voter with a space', refuses, { body: '{"poll":"show","choice":"a","voter":"a b"}', contentType: JSON_TYPE }, malformed(/"voter" must be at most 128 printable/));
test('a voter of 129 characters', refuses, { body: JSON.stringify({ poll: 'show', choice: 'a', voter: 'v'.repeat(129) }), contentType: JSON_TYPE }, malformed(/"voter"/));
test('two Idempotency-Key headers', refuses, { body: '{"poll":"show","choice":"a"}', key: ['"a"', '"b"'] }, malformed(/one Idempotency-Key header/));
test('an Idempotency-Key with a stray quote', refuses, { body: '{"poll":"show","choice":"a"}', key: '"abc' }, malformed(/Idempotency-Key header must be a quoted string/));
test('an empty Idempotency-Key', refuses, { body: '{"poll":"show","choice":"a"}', key: '""' }, malformed(/Idempotency-Key/));
test('a vote sent as text/plain', refuses, { body: '{"poll":"show","choice":"a"}', contentType: 'text/plain' }, { status: 415, reason: 'unsupported_media_type', message: /application\/json or as a form/ });

test('an absent Idempotency-Key is no key', (t) => {
  t.is(parseIdempotencyKey(undefined), undefined);
});

const checks = test.macro({
  exec(t, request: VoteRequest, now: number, expected: { status: number; reason: string; message: string } | undefined) {
    if (expected === undefined) return t.notThrows(() => checkAgainstPolls(request, polls, now));
    const error = t.throws(() => checkAgainstPolls(request, polls, now), { instanceOf: VoteRefusal });
    t.like(error, expected);
  },
  title: (given) => `against the polls: ${given}`,
});

test('a vote for a choice of an open poll is taken', checks, { poll: 'show', choice: 'b' }, NOW, undefined);
test('a poll without times is always open', checks, { poll: 'always', choice: 'x' }, 0, undefined);
test('an unknown poll is 404', checks, { poll: 'nope', choice: 'a' }, NOW, { status: 404, reason: 'unknown_poll', message: 'there is no poll "nope"' });
test('an unknown choice is 422', checks, { poll: 'show', choice: 'z' }, NOW, { status: 422, reason: 'unknown_choice', message: '"Best show" has no choice "z"' });
test('a poll not yet open is 403 with its opening time', checks, { poll: 'show', choice: 'a' }, Date.parse('2026-06-01T18:59:59.999Z'), { status: 403, reason: 'poll_not_open', message: 'voting in "Best show" opens at 2026-06-01T19:00:00.000Z' });
test('a poll is open from its opening instant', checks, { poll: 'show', choice: 'a' }, Date.parse('2026-06-01T19:00:00Z'), undefined);
test('a poll is closed from its closing instant', checks, { poll: 'show', choice: 'a' }, Date.parse('2026-06-01T21:00:00Z'), { status: 403, reason: 'poll_closed', message: 'voting in "Best show" is closed' });
