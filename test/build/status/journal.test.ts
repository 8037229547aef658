/** build/status/journal.ts: the journalctl command lines and the cursor of a read. */
import test from 'ava';
import { journalCommand, splitCursor } from '../../../build/status/journal.js';

test('the first read takes the last lines and --since, quoted for the device\'s sh', (t) => {
  t.is(journalCommand({ units: ['mcdebian-*', 'named.service'], lines: 20, since: "it's -1h", showCursor: false }),
    "journalctl --no-pager --quiet --output=short-iso -u 'mcdebian-*' -u 'named.service' -n 20 --since='it'\\''s -1h'");
});

test('a following read starts after the cursor and leaves -n and --since out', (t) => {
  t.is(journalCommand({ units: ['mcdebian-callhome.service'], lines: 20, since: 'today', afterCursor: 's=ab;i=1f', showCursor: true }),
    "journalctl --no-pager --quiet --output=short-iso -u 'mcdebian-callhome.service' --after-cursor='s=ab;i=1f' --show-cursor");
});

test('the cursor line is taken off the entries', (t) => {
  t.deepEqual(splitCursor('2025-12-06T22:40:01+0000 branch7 ssh[812]: one\n-- cursor: s=ab;i=1f;b=cd\n'), { text: '2025-12-06T22:40:01+0000 branch7 ssh[812]: one\n', cursor: 's=ab;i=1f;b=cd' });
});

test('a read with no new entry has no cursor and no text', (t) => {
  t.deepEqual(splitCursor(''), { text: '' });
});
