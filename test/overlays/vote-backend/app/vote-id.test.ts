import test from 'ava';
import { isVoteId, keyedVoteId, newVoteId } from '../../../../overlays/vote-backend/app/vote-id.js';

test('a vote without a key gets a UUIDv7: the time in its first 48 bits, version 7, variant 10', (t) => {
  const now = Date.UTC(2026, 5, 1, 20);
  const id = newVoteId(now);
  t.true(isVoteId(id));
  t.is(Number.parseInt(id.slice(0, 12), 16), now);
  t.is(id[12], '7');
  t.true(['8', '9', 'a', 'b'].includes(id[16]!));
});

test('ids without a key differ, and later ones sort after earlier ones', (t) => {
  const ids = Array.from({ length: 600 }, (_, n) => newVoteId(1_780_000_000_000 + n));
  t.is(new Set(ids).size, ids.length);
  t.deepEqual([...ids].sort(), ids);
});

test('a key gives the same id for the same poll every time, and another id in another poll', (t) => {
  t.is(keyedVoteId('show', 'k1'), keyedVoteId('show', 'k1'));
  t.not(keyedVoteId('show', 'k1'), keyedVoteId('other', 'k1'));
  t.not(keyedVoteId('show', 'k1'), keyedVoteId('show', 'k2'));
  t.not(keyedVoteId('ab', 'c'), keyedVoteId('a', 'bc'), 'the poll and the key are kept apart');
  t.true(isVoteId(keyedVoteId('show', 'k1')));
});

test('only 32 lower-case hex digits are a vote id', (t) => {
  for (const text of ['', 'A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), 'g'.repeat(32), 1]) t.false(isVoteId(text));
});
