import test, { type ExecutionContext } from 'ava';
import { EventEmitter } from 'node:events';
import { createMemoryLog } from '../../../../overlays/runtime/service-log.js';
import { Dispatcher, type DispatcherLink, type LinkPort, type PartJob } from '../../../../overlays/smpp-relay/app/dispatcher.js';
import { MalformedPart } from '../../../../overlays/smpp-relay/app/parts.js';
import type { StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';
import type { LinkSettings, SubmitPart, SubmitResult } from '../../../../overlays/smpp-relay/app/types.js';
import { linkSettings as fixtureLinkSettings } from './smpp-link-fixtures.js';
import { storedMessage } from './message-fixtures.js';

/** An SMPP link whose state, window and answers the test decides. Parts are labelled "message/part". */
class FakeLink extends EventEmitter implements LinkPort {
  state = 'bound';
  window = 10;
  paused = false;
  /** Every part submitted, in order. */
  readonly submitted: string[] = [];
  /** Submits not answered yet. */
  readonly unanswered: { label: string; resolve: (result: SubmitResult) => void; reject: (error: Error) => void }[] = [];

  get inFlight(): number {
    return this.unanswered.length;
  }

  canSend(): boolean {
    return this.state === 'bound' && !this.paused && this.unanswered.length < this.window;
  }

  submit(part: SubmitPart): Promise<SubmitResult> {
    const label = part.shortMessage.toString();
    this.submitted.push(label);
    return new Promise((resolve, reject) => this.unanswered.push({ label, resolve, reject }));
  }

  /** Answers the oldest unanswered submit (or the one with this label). */
  answer(result: SubmitResult, label?: string): string {
    const index = label === undefined ? 0 : this.unanswered.findIndex((entry) => entry.label === label);
    const [entry] = this.unanswered.splice(index, 1);
    if (!entry) throw new Error(`nothing to answer${label ? ` for ${label}` : ''}`);
    entry.resolve(result);
    return entry.label;
  }

  throwOn(label?: string): void {
    const [entry] = this.unanswered.splice(0, 1);
    if (!entry) throw new Error(`nothing to answer${label ? ` for ${label}` : ''}`);
    entry.reject(new Error('socket closed'));
  }

  setState(state: string): void {
    this.state = state;
    this.emit('state', state);
  }
}

const ok = (messageId = 'abc'): SubmitResult => ({ kind: 'ok', messageId });
const temporary = (status?: number, reason = 'temporary'): SubmitResult => ({ kind: 'temporary', ...(status === undefined ? {} : { status }), reason });
const LOST = temporary(undefined, 'link lost before the SMSC answered');

/** Lets the dispatcher see the answers given so far. */
const answered = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A link's settings, named after the link (its smsc-id too, unless changed). */
const linkSettings = (name: string, change: Partial<LinkSettings> = {}): LinkSettings => fixtureLinkSettings(2775, { name, smscId: name, ...change });

function message(id: string, parts = 1, change: Partial<StoredMessage> = {}): StoredMessage {
  return storedMessage(id, parts, { esmClass: 0, ...change });
}

interface Setup {
  dispatcher: Dispatcher;
  links: FakeLink[];
  clock: { now: number };
  sent: { label: string; link: string; messageId: string; attempts: number }[];
  failed: { label: string; link?: string; status?: number; reason: string; attempts: number }[];
}

const labelOf = (job: PartJob) => `${job.message.id}/${job.part}`;

/** A dispatcher over fake links; the walk always starts at the first link (random() = 0). */
function setUp(
  links: { name: string; settings?: Partial<LinkSettings>; port?: Partial<Pick<FakeLink, 'state' | 'window'>> }[],
  options: { resendRetry?: number; resendFreq?: number; queueLimit?: number } = {},
): Setup {
  const clock = { now: 1_000_000 };
  const sent: Setup['sent'] = [];
  const failed: Setup['failed'] = [];
  const ports = links.map((link) => Object.assign(new FakeLink(), link.port));
  const dispatcher = new Dispatcher(
    links.map((link, index) => ({ settings: linkSettings(link.name, link.settings), port: ports[index]! })),
    {
      resendRetry: options.resendRetry ?? -1,
      resendFreq: options.resendFreq ?? 60,
      queueLimit: options.queueLimit ?? 1000,
      partFor: (job) => {
        if (job.message.to === 'too long') throw new MalformedPart('an address is longer than the 20 characters submit_sm can carry');
        return { sourceAddr: '', sourceAddrTon: 0, sourceAddrNpi: 0, destinationAddr: '', destAddrTon: 0, destAddrNpi: 0, dataCoding: 0, esmClass: 0, registeredDelivery: 0, shortMessage: Buffer.from(labelOf(job)) };
      },
      events: {
        sent: (job, link: DispatcherLink, messageId) => sent.push({ label: labelOf(job), link: link.settings.name, messageId, attempts: job.attempts }),
        failed: (job, failure) => failed.push({ label: labelOf(job), ...(failure.link ? { link: failure.link.settings.name } : {}), ...(failure.status === undefined ? {} : { status: failure.status }), reason: failure.reason, attempts: job.attempts }),
      },
      log: createMemoryLog(),
      now: () => clock.now,
      random: () => 0,
    },
  );
  return { dispatcher, links: ports, clock, sent, failed };
}

const queueOf = (setup: Setup, index: number) => setup.dispatcher.links[index]!.queue.map(labelOf);

/** Replaces setInterval for the test, so the dispatcher's every-second retry runs when the test says. */
function fakeInterval(t: ExecutionContext): { tick(): void; running(): number } {
  const real = { setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval };
  const handles = new Set<{ callback: () => void; unref(): unknown }>();
  globalThis.setInterval = ((callback: () => void) => {
    const handle = { callback, unref: () => handle };
    handles.add(handle);
    return handle;
  }) as unknown as typeof setInterval;
  globalThis.clearInterval = ((handle: never) => handles.delete(handle)) as unknown as typeof clearInterval;
  t.teardown(() => Object.assign(globalThis, real));
  return { tick: () => [...handles].forEach((handle) => handle.callback()), running: () => handles.size };
}

test('a message goes to the least loaded link with all its parts, ties to the first from the start', (t) => {
  const setup = setUp([{ name: 'a', port: { window: 0 } }, { name: 'b', port: { window: 0 } }]);
  setup.dispatcher.enqueue(message('m1', 3));
  setup.dispatcher.enqueue(message('m2', 1));
  setup.dispatcher.enqueue(message('m3', 2));
  t.deepEqual(queueOf(setup, 0), ['m1/0', 'm1/1', 'm1/2']);
  t.deepEqual(queueOf(setup, 1), ['m2/0', 'm3/0', 'm3/1']);
  t.is(setup.dispatcher.queued, 6);
});

test('enqueue sends only the parts it is given (a replayed message\'s unanswered ones)', (t) => {
  const setup = setUp([{ name: 'a' }]);
  setup.dispatcher.enqueue(message('m', 4), [1, 3]);
  t.deepEqual(setup.links[0]!.submitted, ['m/1', 'm/3']);
});

test('a link is given parts only while canSend() allows, and more when it says it is ready', async (t) => {
  const setup = setUp([{ name: 'a', port: { window: 2 } }]);
  const [link] = setup.links;
  setup.dispatcher.enqueue(message('m', 5));
  t.deepEqual(link!.submitted, ['m/0', 'm/1']);
  link!.answer(ok('id-0'));
  await answered();
  t.deepEqual(link!.submitted, ['m/0', 'm/1', 'm/2']);
  t.deepEqual(setup.sent, [{ label: 'm/0', link: 'a', messageId: 'id-0', attempts: 0 }]);
  link!.window = 10;
  link!.emit('ready');
  t.deepEqual(link!.submitted, ['m/0', 'm/1', 'm/2', 'm/3', 'm/4']);
  t.deepEqual(queueOf(setup, 0), []);
});

test('a permanent refusal is reported with its status, and the message\'s other parts still go', async (t) => {
  const setup = setUp([{ name: 'a', port: { window: 1 } }]);
  const [link] = setup.links;
  setup.dispatcher.enqueue(message('m', 2));
  link!.answer({ kind: 'permanent', status: 0x45, reason: 'submit failed' });
  await answered();
  t.deepEqual(setup.failed, [{ label: 'm/0', link: 'a', status: 0x45, reason: 'submit failed', attempts: 0 }]);
  t.deepEqual(link!.submitted, ['m/0', 'm/1']);
  t.is(setup.dispatcher.links[0]!.health.snapshot().failures, 0);
});

test('a throttled part goes back to the front of the same link\'s queue, with no try and no health mark counted', async (t) => {
  const setup = setUp([{ name: 'a', port: { window: 1 } }, { name: 'b' }]);
  const [a, b] = setup.links;
  setup.dispatcher.enqueue(message('m', 3));
  t.deepEqual(queueOf(setup, 0), ['m/1', 'm/2']);
  a!.paused = true; // the link pauses itself on 0x58
  a!.answer(temporary(0x58, 'throttled'));
  await answered();
  t.deepEqual(queueOf(setup, 0), ['m/0', 'm/1', 'm/2']);
  t.deepEqual(b!.submitted, []);
  t.deepEqual(setup.failed, []);
  t.is(setup.dispatcher.links[0]!.health.snapshot().failures, 0);
  a!.paused = false;
  a!.emit('ready');
  t.deepEqual(a!.submitted, ['m/0', 'm/0']);
  a!.answer(ok());
  await answered();
  t.is(setup.sent[0]?.attempts, 0);
});

test.serial('a temporary failure counts against the link and the part is tried again after 1, 2, 4... s, at most sms-resend-freq', async (t) => {
  const timer = fakeInterval(t);
  const setup = setUp([{ name: 'a', settings: { healthFailures: 100 } }], { resendFreq: 3 });
  const [link] = setup.links;
  setup.dispatcher.start();
  setup.dispatcher.enqueue(message('m', 1));
  const waits: number[] = [];
  for (let failure = 1; failure <= 4; failure += 1) {
    link!.answer(temporary(0x08, 'system error'));
    await answered();
    t.is(setup.dispatcher.links[0]!.health.snapshot().failures, failure);
    const waiting = setup.dispatcher.waiting[0];
    if (!waiting) return t.fail('the part does not wait');
    t.is(waiting.jobs[0]?.attempts, failure);
    const wait = waiting.notBefore - setup.clock.now;
    waits.push(wait);
    setup.clock.now += wait - 1;
    timer.tick();
    t.is(setup.dispatcher.waitingParts, 1, 'not before its time');
    setup.clock.now += 1;
    timer.tick();
    t.is(setup.dispatcher.waitingParts, 0);
    t.is(link!.submitted.length, failure + 1);
  }
  t.deepEqual(waits, [1000, 2000, 3000, 3000]);
  setup.dispatcher.stop();
  t.is(timer.running(), 0);
});

const givesUp = test.macro({
  async exec(t, resendRetry: number, tries: number) {
    const setup = setUp([{ name: 'a', settings: { healthFailures: 100 } }], { resendRetry });
    const [a] = setup.links;
    setup.dispatcher.enqueue(message('m', 1));
    for (let attempt = 1; attempt < tries; attempt += 1) {
      a!.answer(temporary(0x14, 'message queue full'));
      await answered();
      t.deepEqual(setup.failed, []);
      setup.clock.now += 60_000;
      a!.emit('state', 'bound'); // a bind routes the waiting part again
    }
    a!.answer(temporary(0x14, 'message queue full'));
    await answered();
    t.deepEqual(setup.failed, [{ label: 'm/0', link: 'a', status: 0x14, reason: `message queue full (gave up after ${tries} tries)`, attempts: tries }]);
    t.is(a!.submitted.length, tries);
    t.is(setup.dispatcher.queued, 0);
  },
  title: (_given, resendRetry: number, tries: number) => `with sms-resend-retry = ${resendRetry} a part fails for good after ${tries} temporary failure${tries === 1 ? '' : 's'}`,
});

test(givesUp, 0, 1);
test(givesUp, 1, 2);
test(givesUp, 3, 4);

test('with sms-resend-retry = -1 a part is tried for ever', async (t) => {
  const setup = setUp([{ name: 'a', settings: { healthFailures: 1000 } }], { resendRetry: -1 });
  const [link] = setup.links;
  setup.dispatcher.enqueue(message('m', 1));
  for (let attempt = 1; attempt <= 50; attempt += 1) {
    link!.answer(temporary(undefined, 'no answer'));
    await answered();
    setup.clock.now += 60_000;
    link!.emit('state', 'bound');
  }
  t.deepEqual(setup.failed, []);
  t.is(link!.submitted.length, 51);
});

test('a submit that rejects counts as a temporary failure', async (t) => {
  const setup = setUp([{ name: 'a' }]);
  const [link] = setup.links;
  setup.dispatcher.enqueue(message('m', 1));
  link!.throwOn();
  await answered();
  t.is(setup.dispatcher.links[0]!.health.snapshot().lastFailure, 'submit failed: socket closed');
  t.is(setup.dispatcher.waiting[0]?.jobs[0]?.attempts, 1);
});

test('a lost link\'s queue is routed again at once, each message\'s parts together, and its unanswered parts follow without a try counted', async (t) => {
  const setup = setUp([{ name: 'a', port: { window: 1 } }, { name: 'b', port: { window: 0 } }, { name: 'c', port: { window: 0 } }]);
  const [a, b, c] = setup.links;
  setup.dispatcher.enqueue(message('m1', 3)); // a: m1/0 in flight, m1/1 and m1/2 queued
  setup.dispatcher.enqueue(message('m2', 2)); // b
  setup.dispatcher.enqueue(message('m3', 1)); // c
  setup.dispatcher.enqueue(message('m4', 1)); // c (b has 2, a 2 queued: c has 1)
  t.deepEqual([queueOf(setup, 0), queueOf(setup, 1), queueOf(setup, 2)], [['m1/1', 'm1/2'], ['m2/0', 'm2/1'], ['m3/0', 'm4/0']]);
  a!.setState('reconnecting');
  t.deepEqual(queueOf(setup, 0), []);
  t.deepEqual(queueOf(setup, 1), ['m2/0', 'm2/1', 'm1/1', 'm1/2'], 'one message\'s parts go to one link');
  a!.answer(LOST);
  await answered();
  t.deepEqual(queueOf(setup, 2), ['m3/0', 'm4/0', 'm1/0']);
  t.is(setup.dispatcher.links[2]!.queue.at(-1)?.attempts, 0);
  t.is(setup.dispatcher.links[0]!.health.snapshot().failures, 0, 'a lost link is not a sick link');
  t.deepEqual(setup.failed, []);
  b!.window = 10;
  c!.window = 10;
  b!.emit('ready');
  c!.emit('ready');
  t.deepEqual(a!.submitted, ['m1/0']);
  t.is(b!.submitted.length + c!.submitted.length, 7);
});

test('a part that fails while its link is lost is not given up, whatever sms-resend-retry says', async (t) => {
  const setup = setUp([{ name: 'a' }, { name: 'b', port: { window: 0 } }], { resendRetry: 0 });
  const [a] = setup.links;
  setup.dispatcher.enqueue(message('m', 1));
  a!.setState('reconnecting');
  a!.answer(LOST);
  await answered();
  t.deepEqual(setup.failed, []);
  t.deepEqual(queueOf(setup, 1), ['m/0']);
});

test('a link taken out of rotation gives its queue back to routing, and its failed part waits', async (t) => {
  const setup = setUp([{ name: 'a', settings: { healthFailures: 1 }, port: { window: 1 } }, { name: 'b', port: { window: 0 } }]);
  const [a] = setup.links;
  setup.dispatcher.enqueue(message('m1', 3));
  a!.answer(temporary(undefined, 'no answer within wait-ack'));
  await answered();
  t.is(setup.dispatcher.links[0]!.health.state, 'out');
  t.deepEqual(queueOf(setup, 0), []);
  t.deepEqual(queueOf(setup, 1), ['m1/1', 'm1/2']);
  t.is(setup.dispatcher.waitingParts, 1);
  setup.dispatcher.enqueue(message('m2', 1));
  t.deepEqual(queueOf(setup, 1), ['m1/1', 'm1/2', 'm2/0'], 'an idle link out of rotation gets nothing');
});

test('after the probe delay a link out of rotation is given exactly one message, and its success brings it back', async (t) => {
  const setup = setUp([{ name: 'a', settings: { healthFailures: 1, healthProbeDelay: 5 } }]);
  const [a] = setup.links;
  setup.dispatcher.enqueue(message('m1', 1));
  a!.answer(temporary(0x08, 'system error'));
  await answered();
  t.is(setup.dispatcher.links[0]!.health.state, 'out');
  setup.clock.now += 4_999;
  setup.dispatcher.enqueue(message('m2', 1));
  t.is(setup.dispatcher.waitingParts, 2);
  setup.clock.now += 1;
  setup.dispatcher.enqueue(message('m3', 1));
  await answered();
  t.is(setup.dispatcher.links[0]!.health.state, 'probing');
  t.is(a!.inFlight + setup.dispatcher.links[0]!.queue.length, 1, 'one message while probing');
  t.is(setup.dispatcher.waitingParts, 2);
  a!.answer(ok());
  await answered();
  t.is(setup.dispatcher.links[0]!.health.state, 'in');
  t.is(setup.dispatcher.waitingParts, 0, 'the waiting messages go as soon as the link is back');
  t.is(a!.submitted.length, 4);
});

test('messages wait while no link is bound, and go as soon as one binds', (t) => {
  const setup = setUp([{ name: 'a', port: { state: 'connecting' } }, { name: 'b', port: { state: 'reconnecting' } }]);
  const [a, b] = setup.links;
  setup.dispatcher.enqueue(message('m1', 2));
  setup.dispatcher.enqueue(message('m2', 1));
  t.is(setup.dispatcher.waitingParts, 3);
  t.is(setup.dispatcher.queued, 3);
  b!.setState('bound');
  t.is(setup.dispatcher.waitingParts, 0);
  t.deepEqual(b!.submitted, ['m1/0', 'm1/1', 'm2/0']);
  t.deepEqual(a!.submitted, []);
});

const previews = test.macro({
  exec(t, links: Parameters<typeof setUp>[0], queued: number, smscId: string | undefined, expected: ReturnType<Dispatcher['preview']>) {
    const setup = setUp(links, { queueLimit: 3 });
    for (let index = 0; index < queued; index += 1) setup.dispatcher.enqueue(message(`m${index}`, 1));
    t.is(setup.dispatcher.preview(smscId), expected);
  },
  title: (given, _links, _queued, _smscId, expected: string) => `preview() answers "${expected}" ${given}`,
});

test('when a usable link is bound', previews, [{ name: 'a', settings: { allowedSmscIds: ['x'] } }, { name: 'b' }], 0, 'x', 'link');
test('when usable links are all down', previews, [{ name: 'a', port: { state: 'connecting' } }, { name: 'b', settings: { deniedSmscIds: ['x'] } }], 0, 'x', 'queue');
test('when no link may take the smsc-id', previews, [{ name: 'a', settings: { allowedSmscIds: ['y'] } }, { name: 'b', settings: { deniedSmscIds: ['x'] } }], 0, 'x', 'reject');
test('when sms-outgoing-queue-limit parts are queued', previews, [{ name: 'a', port: { window: 0 } }], 3, 'x', 'full');
test('when fewer than sms-outgoing-queue-limit parts are queued', previews, [{ name: 'a', port: { window: 0 } }], 2, 'x', 'link');

test('a part no SMSC can take fails without a try, and the next message goes', (t) => {
  const setup = setUp([{ name: 'a' }]);
  setup.dispatcher.enqueue(message('bad', 2, { to: 'too long' }));
  setup.dispatcher.enqueue(message('good', 1));
  t.deepEqual(setup.failed.map(({ label, link, attempts }) => ({ label, link, attempts })), [
    { label: 'bad/0', link: 'a', attempts: 0 },
    { label: 'bad/1', link: 'a', attempts: 0 },
  ]);
  t.regex(setup.failed[0]!.reason, /longer than the 20 characters/);
  t.deepEqual(setup.links[0]!.submitted, ['good/0']);
});

test('a message no link may carry is failed at once', (t) => {
  const setup = setUp([{ name: 'a', settings: { allowedSmscIds: ['y'] } }]);
  setup.dispatcher.enqueue(message('m', 2, { smscId: 'x' }));
  t.deepEqual(setup.failed.map(({ label, link }) => ({ label, link })), [{ label: 'm/0', link: undefined }, { label: 'm/1', link: undefined }]);
  t.is(setup.dispatcher.queued, 0);
});
