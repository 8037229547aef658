import test from 'ava';
import { BoundedQueue } from '../../../../overlays/dns-blacklist/app/bounded-queue.js';

/** A task that runs until released, counting how many run at once. */
function heldTasks() {
  const state = { running: 0, most: 0, started: 0 };
  const releases: (() => void)[] = [];
  const task = async () => {
    state.started++;
    state.most = Math.max(state.most, ++state.running);
    await new Promise<void>((resolve) => releases.push(resolve));
    state.running--;
    return state.started;
  };
  const releaseAll = () => releases.splice(0).forEach((release) => release());
  return { state, task, releaseAll };
}

test('tasks beyond the running and waiting places are turned away at once, without running', async (t) => {
  const queue = new BoundedQueue({ concurrency: 2, maxWaiting: 3 });
  const { state, task, releaseAll } = heldTasks();
  const outcomes = Array.from({ length: 10 }, () => queue.run(task));
  t.deepEqual((await Promise.all(outcomes.slice(5))).map((outcome) => outcome.kind), Array(5).fill('full'));
  t.is(state.started, 2);
  t.is(queue.waiting, 3);
  while (state.started < 5 || state.running > 0) {
    releaseAll();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.deepEqual((await Promise.all(outcomes.slice(0, 5))).map((outcome) => outcome.kind), Array(5).fill('done'));
  t.is(state.most, 2);
});

test('while tasks finish and new ones arrive, no more than the bound ever run, and each task let in runs once', async (t) => {
  const queue = new BoundedQueue({ concurrency: 2, maxWaiting: 3 });
  let running = 0;
  let most = 0;
  let ran = 0;
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const task = (ticks: number) => async () => {
    ran++;
    most = Math.max(most, ++running);
    for (let i = 0; i < ticks; i++) await tick();
    running--;
  };
  const outcomes: Promise<{ kind: string }>[] = [];
  for (let i = 0; i < 200; i++) {
    // newcomers arrive in the same ticks in which earlier tasks finish and hand over their places
    outcomes.push(queue.run(task(i % 4)));
    if (i % 3 === 0) await tick();
  }
  const kinds = (await Promise.all(outcomes)).map((outcome) => outcome.kind);
  t.is(most, 2);
  t.is(kinds.filter((kind) => kind === 'done').length, ran);
  t.true(kinds.includes('full') && ran > 5, `${ran} ran`);
});

test('a waiting task whose caller leaves is dropped without running and frees its place', async (t) => {
  const queue = new BoundedQueue({ concurrency: 1, maxWaiting: 1 });
  const { state, task, releaseAll } = heldTasks();
  const running = queue.run(task);
  const gone = new AbortController();
  const leaving = queue.run(task, gone.signal);
  gone.abort();
  t.deepEqual(await leaving, { kind: 'abandoned' });
  t.is(queue.waiting, 0);
  const next = queue.run(task);
  releaseAll();
  await running;
  await new Promise((resolve) => setImmediate(resolve));
  releaseAll();
  t.is((await next).kind, 'done');
  t.is(state.started, 2, 'the abandoned task never ran');
});

test('a task whose caller has already left is not run', async (t) => {
  const queue = new BoundedQueue({ concurrency: 1, maxWaiting: 1 });
  let ran = false;
  t.deepEqual(await queue.run(async () => { ran = true; }, AbortSignal.abort()), { kind: 'abandoned' });
  t.false(ran);
});
