import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { nodeFileSystem, type JournalFileSystem } from '../../../../overlays/runtime/journal.js';
import { Receipts } from '../../../../overlays/smpp-relay/app/receipts.js';
import { StoreUnavailableError } from '../../../../overlays/smpp-relay/app/store-writer.js';
import { MessageStore, type StoreOptions } from '../../../../overlays/smpp-relay/app/store.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { storedMessage } from './message-fixtures.js';

const keyOf = (link: string, mid: string) => `${link}:${mid}`;
const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
const wantsDelivery = { dlrUrl: 'http://app.example/dlr?type=%d', dlrMask: 1 };

/** A disk that can be filled (every write fails with ENOSPC) and whose fdatasync can fail or be slow. */
function disk() {
  const state = { full: false, fsyncFailure: undefined as Error | undefined, fsyncDelayMs: 0, writes: 0 };
  const fileSystem: Partial<JournalFileSystem> = {
    writeSync: (fd, buffer, offset) => {
      if (state.full) throw errno('ENOSPC');
      state.writes++;
      return nodeFileSystem.writeSync(fd, buffer, offset);
    },
    fdatasync: async (fd) => {
      if (state.fsyncDelayMs) await sleep(state.fsyncDelayMs);
      if (state.fsyncFailure) throw state.fsyncFailure;
      return nodeFileSystem.fdatasync(fd);
    },
  };
  return { state, fileSystem };
}

type Opened = { store: MessageStore; path: string; log: ReturnType<typeof createMemoryLog> };

/** Opens a store on `dir` with this file system, closed when the test ends. */
async function openStore(t: ExecutionContext, options: { dir?: string; fileSystem?: Partial<JournalFileSystem>; retryMs?: number; compactAt?: number } = {}): Promise<Opened> {
  const dir = options.dir ?? (await makeTempDir(t, 'mcdebian-store-writer-'));
  const path = join(dir, 'smpp-relay.journal');
  const log = createMemoryLog();
  const storeOptions: StoreOptions = { path, keyOf, wantsReceipt: Receipts.wantsReceipt, log, retryMs: options.retryMs ?? 3_600_000 };
  if (options.fileSystem) storeOptions.fileSystem = options.fileSystem;
  if (options.compactAt !== undefined) storeOptions.compactAt = options.compactAt;
  const store = await MessageStore.load(storeOptions);
  t.teardown(() => store.close().catch(() => undefined));
  return { store, path, log };
}

/** The record types in the journal file, in order. */
const kindsIn = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((line) => (JSON.parse(line.slice(9)) as { t: string; p?: number }))
  .map((record) => (record.p === undefined ? record.t : `${record.t} ${record.p}`));

/** Waits for the store to be writable again (the retry timer), or fails after a generous deadline. */
async function writable(store: MessageStore): Promise<void> {
  for (const deadline = Date.now() + 30_000; store.state.state !== 'writable'; await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`the store is still ${JSON.stringify(store.state)}`);
  }
}

const errorsAndInfos = (log: { lines: string[] }) => log.lines.filter((line) => !line.startsWith('warn: '));

test('on a full disk outcomes are kept in memory in order, nothing throws, new messages are refused; the next write once space returns writes them all', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path, log } = await openStore(t, { fileSystem });
  await store.accept(storedMessage('m1', 4, wantsDelivery));
  await store.accept(storedMessage('m2', 1));
  state.full = true;
  t.deepEqual(store.sent('m1', 0, 'a', 'X1', 10), { wait: store.waits.get(keyOf('a', 'X1'))! }, 'the change is made in memory');
  store.failed('m1', 1, { status: 0x0b, reason: 'invalid destination' }, 11);
  store.receiptDone(keyOf('a', 'X1'));
  store.addPost({ key: 'p1', url: 'http://app.example/dlr?type=1', createdAt: 12 });
  store.posted('p1');
  t.like(store.state, { state: 'degraded', backlog: 5, lastError: `${path}: could not append: ENOSPC: simulated` });
  await t.throwsAsync(store.accept(storedMessage('m3', 1)), { instanceOf: StoreUnavailableError, message: /cannot write \(.*ENOSPC.*\); 5 records wait in memory/ });
  t.false(store.open.has('m3'));
  t.deepEqual(await kindsIn(path), ['accept', 'accept'], 'nothing reached the file');
  state.full = false;
  store.sent('m1', 2, 'a', 'X2', 13);
  t.like(store.state, { state: 'writable', backlog: 0 });
  t.deepEqual(await kindsIn(path), ['accept', 'accept', 'sent 0', 'failed 1', 'receipt', 'post', 'posted', 'sent 2'], 'in the order they happened');
  await store.accept(storedMessage('m3', 1));
  t.deepEqual(errorsAndInfos(log), [
    `error: ${path}: the message store cannot write (${path}: could not append: ENOSPC: simulated): new messages are refused with 503 and what happens to those already accepted is held in memory, in order, until the records are written; trying again in 3600 s, then less and less often`,
    `info: ${path}: the message store is writable again after 0 s: the 6 records held in memory are written`,
  ], 'once when it starts, once when it ends');
});

test('the retry timer writes what waits once space returns, with no new write to set it off, and the state replays the same', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path } = await openStore(t, { fileSystem, retryMs: 5 });
  await store.accept(storedMessage('m', 2, wantsDelivery));
  state.full = true;
  store.sent('m', 0, 'a', 'X', 10);
  await sleep(50); // a few tries fail meanwhile
  t.like(store.state, { state: 'degraded', backlog: 1 });
  state.full = false;
  await writable(store);
  const before = { open: [...store.open], waits: [...store.waits] };
  await store.close();
  const { store: reopened } = await openStore(t, { dir: join(path, '..') });
  t.deepEqual({ open: [...reopened.open], waits: [...reopened.waits] }, before);
});

test('an accepted message that does not fit is refused and logged once; one that fits later ends the episode', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path, log } = await openStore(t, { fileSystem });
  state.full = true;
  for (const id of ['a', 'b', 'c']) await t.throwsAsync(store.accept(storedMessage(id, 1)), { message: /ENOSPC/ });
  t.like(store.state, { state: 'degraded', backlog: 0 });
  t.is(store.open.size, 0);
  state.full = false;
  await store.accept(storedMessage('d', 1));
  t.like(store.state, { state: 'writable' });
  t.deepEqual(errorsAndInfos(log).map((line) => line.slice(0, line.indexOf(':'))), ['error', 'info']);
  t.deepEqual(await kindsIn(path), ['accept']);
});

test('after a failed fsync the journal is rewritten from memory: outcomes recorded meanwhile are kept, the message that failed is not', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path, log } = await openStore(t, { fileSystem, retryMs: 5 });
  await store.accept(storedMessage('kept', 3));
  store.sent('kept', 0, 'a', 'X0', 10);
  state.fsyncFailure = errno('EIO');
  await t.throwsAsync(store.accept(storedMessage('refused', 1)), { message: /fsync failed \(EIO: simulated\)/ });
  t.false(store.open.has('refused'), 'answered 503: not sent, and not in the state the journal is rebuilt from');
  store.sent('kept', 1, 'a', 'X1', 11);
  t.like(store.state, { state: 'degraded', backlog: 1 });
  await t.throwsAsync(store.accept(storedMessage('later', 1)), { instanceOf: StoreUnavailableError });
  await sleep(50); // rewrites fail while fsync does
  state.fsyncFailure = undefined;
  await writable(store);
  store.sent('kept', 2, 'b', 'X2', 12);
  t.deepEqual(await kindsIn(path), ['accept', 'sent 0', 'sent 1', 'sent 2'], 'the live state, then what came after');
  t.deepEqual(errorsAndInfos(log).map((line) => line.replace(/after \d+ s/, 'after N s')), [
    `error: ${path}: the message store cannot write (${path}: fsync failed (EIO: simulated); what was written since the last good fsync may not be on disk: no more appends until the journal is rewritten): ` +
      'new messages are refused with 503 and what happens to those already accepted is held in memory, in order, until the journal is rewritten from memory; trying again in 0.005 s, then less and less often',
    `info: ${path}: the message store is writable again after N s: the journal was rewritten from memory (3 records)`,
  ]);
});

test('a compaction that starts while an accepted message waits for its fsync keeps the message', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path } = await openStore(t, { fileSystem, compactAt: 0 });
  await store.accept(storedMessage('old', 1));
  state.fsyncDelayMs = 30;
  const accepted = store.accept(storedMessage('new', 2));
  const compacted = store.compactIfLarge();
  await Promise.all([accepted, compacted]);
  await store.close();
  const { store: reopened } = await openStore(t, { dir: join(path, '..') });
  t.deepEqual([...reopened.open.keys()], ['old', 'new']);
});

test('while the store is degraded, compactIfLarge leaves the journal to the recovery', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path } = await openStore(t, { fileSystem, compactAt: 0 });
  await store.accept(storedMessage('m', 2));
  state.full = true;
  store.sent('m', 0, 'a', 'X', 1);
  const writes = state.writes;
  t.false(await store.compactIfLarge());
  t.is(state.writes, writes);
  t.deepEqual(await kindsIn(path), ['accept']);
});

test('closing with records still held in memory says what a restart will do again', async (t) => {
  const { state, fileSystem } = disk();
  const { store, path, log } = await openStore(t, { fileSystem });
  await store.accept(storedMessage('m', 2));
  state.full = true;
  store.sent('m', 0, 'a', 'X', 1);
  await store.close();
  t.is(log.lines.at(-1), `error: ${path}: stopping with 1 records not written (${path}: could not append: ENOSPC: simulated): ` +
    'after the next start, parts they acknowledged are sent again and receipts they matched are awaited again');
});
