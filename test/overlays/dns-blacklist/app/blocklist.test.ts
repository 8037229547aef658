import test from 'ava';
import { Blocklist } from '../../../../overlays/dns-blacklist/app/blocklist.js';
import { parseBasicAuth } from '../../../../overlays/dns-blacklist/app/auth.js';
import { SlowMemoryUpdater } from './fakes.js';

test('requests queued together are applied in arrival order and sent as their net difference', async (t) => {
  const updater = new SlowMemoryUpdater();
  updater.domains = new Set(['kept.example', 'flip.example']);
  const blocklist = new Blocklist(updater);
  const first = blocklist.change({ add: ['a.example'], remove: [] });
  const [remove, readd, twice] = await Promise.all([
    blocklist.change({ add: [], remove: ['flip.example'] }),
    blocklist.change({ add: ['flip.example'], remove: [] }),
    blocklist.change({ add: ['a.example', 'b.example'], remove: [] }),
  ]);
  await first;
  t.deepEqual(remove, { added: [], alreadyBlocked: [], removed: ['flip.example'], notBlocked: [] });
  t.deepEqual(readd, { added: ['flip.example'], alreadyBlocked: [], removed: [], notBlocked: [] });
  t.deepEqual(twice, { added: ['b.example'], alreadyBlocked: ['a.example'], removed: [], notBlocked: [] });
  t.deepEqual([...updater.domains].sort(), ['a.example', 'b.example', 'flip.example', 'kept.example']);
  t.is(updater.applyRuns, 2, 'the first alone, the three queued behind it together');
});

test('a failed update fails every request of its group and not the next one', async (t) => {
  const updater = new SlowMemoryUpdater();
  const blocklist = new Blocklist(updater);
  updater.failure = 'update failed: SERVFAIL';
  const failing = blocklist.change({ add: ['a.example'], remove: [] });
  await t.throwsAsync(failing, { message: /SERVFAIL/ });
  updater.failure = undefined;
  t.deepEqual((await blocklist.change({ add: ['b.example'], remove: [] })).added, ['b.example']);
  await blocklist.idle();
  t.deepEqual([...updater.domains], ['b.example']);
});

test('a change that changes nothing runs no update', async (t) => {
  const updater = new SlowMemoryUpdater();
  const result = await new Blocklist(updater).change({ add: [], remove: ['never.example'] });
  t.deepEqual(result.notBlocked, ['never.example']);
  t.is(updater.applyRuns, 0);
});

test('a Basic header gives its user and password; anything else is no credentials', (t) => {
  const encode = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  t.deepEqual(parseBasicAuth(encode('admin:pa:ss wörd')), { user: 'admin', password: 'pa:ss wörd' });
  t.deepEqual(parseBasicAuth(encode(':pw')), { user: '', password: 'pw' });
  t.is(parseBasicAuth(encode('no-colon')), undefined);
  t.is(parseBasicAuth('Bearer abc'), undefined);
  t.is(parseBasicAuth('Basic not base64!'), undefined);
  t.is(parseBasicAuth(undefined), undefined);
});
