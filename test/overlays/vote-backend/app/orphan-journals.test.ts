import test from 'ava';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { adoptOrphans, findOrphans, journalPath } from '../../../../overlays/vote-backend/app/orphan-journals.js';
import { VoteStore } from '../../../../overlays/vote-backend/app/vote-store.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { newVote, openTestStore } from './fixtures.js';

test('journals above the worker count go to the worker whose number they are modulo the count', async (t) => {
  const dir = await makeTempDir(t);
  for (const name of ['votes-0.journal', 'votes-1.journal', 'votes-2.journal', 'votes-3.journal', 'votes-4.journal', 'votes-x.journal', 'other.txt']) await writeFile(join(dir, name), '');
  t.deepEqual(await findOrphans(dir, { index: 0, count: 2 }), [join(dir, 'votes-2.journal'), join(dir, 'votes-4.journal')]);
  t.deepEqual(await findOrphans(dir, { index: 1, count: 2 }), [join(dir, 'votes-3.journal')]);
  t.deepEqual(await findOrphans(dir, { index: 0, count: 8 }), []);
  t.deepEqual(await findOrphans(join(dir, 'missing'), { index: 0, count: 1 }), []);
});

test('an orphan\'s pending votes move into the worker\'s journal with their ids, and the orphan file goes', async (t) => {
  const dir = await makeTempDir(t);
  const orphanPath = journalPath(dir, 3);
  const orphan = await VoteStore.open({ path: orphanPath, log: createMemoryLog(), maxPending: 100, compactAtBytes: 1 << 30, sync: false });
  const votes = await Promise.all([1, 2, 3].map((n) => orphan.accept(newVote(n, { voter: `v${n}` }))));
  orphan.committed(1);
  await orphan.close();
  const { store, log } = await openTestStore(t, { path: journalPath(dir, 0) });
  t.is(await adoptOrphans(store, [orphanPath], log), 2);
  t.deepEqual(store.peekBatch(10).map(({ seq: _seq, ...vote }) => vote), votes.slice(1).map(({ seq: _seq, ...vote }) => vote));
  t.deepEqual(await readdir(dir), ['votes-0.journal']);
  t.true(log.lines.some((line) => line.includes(`took over 2 pending votes from ${orphanPath}`)));
});
