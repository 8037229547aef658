import test from 'ava';
import { Blocklist } from '../../../../overlays/dns-blacklist/app/blocklist.js';
import { UpdateError } from '../../../../overlays/dns-blacklist/app/updater.js';
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

test('a change that fails after part of it was applied is taken back whole, and the error says nothing changed', async (t) => {
  const updater = new SlowMemoryUpdater();
  updater.domains = new Set(['keep.example', 'old.example']);
  // the removal of old.example and the first addition went through before the failure
  Object.assign(updater, { failure: 'update failed: SERVFAIL', appliedBeforeFailure: 2, failuresLeft: 1 });
  const change = new Blocklist(updater).change({ add: ['a.example', 'b.example', 'c.example'], remove: ['old.example'] });
  await t.throwsAsync(change, { instanceOf: UpdateError, message: 'nsupdate exited with code 2: update failed: SERVFAIL; nothing was changed' });
  t.deepEqual([...updater.domains].sort(), ['keep.example', 'old.example']);
});

test('when taking back a failed change fails too, the error says the zone may hold part of it', async (t) => {
  const updater = new SlowMemoryUpdater();
  updater.domains = new Set(['old.example']);
  Object.assign(updater, { failure: 'update failed: SERVFAIL', appliedBeforeFailure: 2 });
  const change = new Blocklist(updater).change({ add: ['a.example', 'b.example'], remove: ['old.example'] });
  await t.throwsAsync(change, { instanceOf: UpdateError, message: /SERVFAIL; taking back the part already applied failed too \(.*SERVFAIL\), so the zone may hold part of the change/ });
  t.deepEqual([...updater.domains], ['a.example'], 'what the zone holds is what the message warns of');
});

test('a change that changes nothing runs no update', async (t) => {
  const updater = new SlowMemoryUpdater();
  const result = await new Blocklist(updater).change({ add: [], remove: ['never.example'] });
  t.deepEqual(result.notBlocked, ['never.example']);
  t.is(updater.applyRuns, 0);
});
