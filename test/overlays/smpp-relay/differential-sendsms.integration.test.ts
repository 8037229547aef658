/**
 * Differential: what sendsms does with a request on real Kannel 1.4.5 and on the relay with the
 * same kannel.conf. Which link a message takes by the account's forced-smsc and default-smsc,
 * the request's smsc= and the links' allowed and preferred lists; and the status and body a
 * good or bad request is answered with, and the submit_sm a good one becomes.
 */
import type { Gateway } from './helpers/gateway.js';
import type { ConfSpec } from './helpers/kannel-conf-text.js';
import type { RecordedSubmit } from './helpers/smsc-simulator.js';
import {
  differentialTest, observe, runBoth, submitsOf, waitForArrivals, type Answer, type Observation, type Smscs,
} from './helpers/differential.js';

const TO = '4915112345678';

/** A named sendsms: the name is its text, so the SMSC's records tell where it went. */
type Send = [message: string, params: Record<string, string>];

/** Sends each, one after the other; waits until every accepted one has arrived. */
async function sendAll(gateway: Gateway, smscs: Smscs, sends: readonly Send[], links: Record<string, 'online'>): Promise<Observation[]> {
  await gateway.waitForLinks(links);
  const answers: Answer[] = [];
  for (const [message, params] of sends) answers.push({ message, ...await gateway.sendsms({ text: message, ...params }) });
  await waitForArrivals(smscs, answers.filter((answer) => answer.status === 202).map((answer) => answer.message));
  return observe(smscs, answers);
}

const link = (account: string, port: number | undefined, lists: Record<string, string>) =>
  ({ 'smsc-id': account, port: port!, 'smsc-username': account, 'smsc-password': account, ...lists });

/** Links one and two, each allowing only its own id; an account forced to two, one defaulting to one, one plain. */
const allowedOnly = {
  accounts: ['one', 'two'],
  conf: (ports: Record<string, number>): ConfSpec => ({
    smsc: [link('one', ports.one, { 'allowed-smsc-id': 'one' }), link('two', ports.two, { 'allowed-smsc-id': 'two' })],
    users: [
      { username: 'plain', password: 'plain-pw' },
      { username: 'forced', password: 'forced-pw', 'forced-smsc': 'two' },
      { username: 'defaulted', password: 'defaulted-pw', 'default-smsc': 'one' },
    ],
  }),
};

const as = (user: string, smsc?: string): Record<string, string> => ({ username: user, password: `${user}-pw`, to: TO, ...(smsc === undefined ? {} : { smsc }) });
const accepted = (account: string) => ({ status: 202, body: '0: Accepted for delivery', arrivedOn: [account] });
const notRoutable = { status: 403, body: 'Not routable. Do not try again.', arrivedOn: [] };

/** What Kannel does with each (verified on 1.4.5), the relay held to the same. */
const ROUTES: [message: string, params: Record<string, string>, expected: Omit<Observation, 'message'>][] = [
  ['forced-over-smsc', as('forced', 'one'), accepted('two')],
  ['forced-over-unknown', as('forced', 'nowhere'), accepted('two')],
  ['forced-alone', as('forced'), accepted('two')],
  ['default-alone', as('defaulted'), accepted('one')],
  ['smsc-over-default', as('defaulted', 'two'), accepted('two')],
  ['smsc-one', as('plain', 'one'), accepted('one')],
  ['smsc-two', as('plain', 'two'), accepted('two')],
  ['smsc-no-link-allows', as('plain', 'nowhere'), notRoutable],
  ['no-smsc-with-allowed-lists', as('plain'), notRoutable],
  ['smsc-upper-case', as('plain', 'ONE'), notRoutable],
  ['empty-smsc-over-default', as('defaulted', ''), notRoutable],
  ['empty-smsc-plain', as('plain', ''), notRoutable],
];

differentialTest('routes: forced-smsc over smsc= over default-smsc, allowed-smsc-id picks the link, an id no link allows (in another case too, or empty) is not routable, on Kannel and the relay alike', async (t) => {
  const scenario = (gateway: Gateway, smscs: Smscs) => sendAll(gateway, smscs, ROUTES.map(([message, params]) => [message, params]), { one: 'online', two: 'online' });
  const { kannel, relay } = await runBoth(t, allowedOnly, scenario);
  t.deepEqual(relay, kannel);
  t.deepEqual(kannel, ROUTES.map(([message, , expected]) => ({ message, ...expected })));
});

/** Links one and two, each preferring its own id and allowing any; one denies `not-one`. */
const preferredOnly = {
  accounts: ['one', 'two'],
  conf: (ports: Record<string, number>): ConfSpec => ({
    smsc: [link('one', ports.one, { 'preferred-smsc-id': 'one', 'denied-smsc-id': 'not-one' }), link('two', ports.two, { 'preferred-smsc-id': 'two' })],
    users: [{ username: 'plain', password: 'plain-pw' }],
  }),
};

differentialTest('routes with preferred-smsc-id only: a preferred link wins while both are up, a denied id goes to the other, an id no list names (or none) goes to either, on Kannel and the relay alike', async (t) => {
  const sends: Send[] = [
    ...[1, 2, 3].flatMap((n): Send[] => [[`prefers-one-${n}`, as('plain', 'one')], [`prefers-two-${n}`, as('plain', 'two')], [`denied-by-one-${n}`, as('plain', 'not-one')]]),
    ...[1, 2, 3].flatMap((n): Send[] => [[`unlisted-${n}`, as('plain', 'elsewhere')], [`no-smsc-${n}`, as('plain')]]),
  ];
  const { kannel, relay } = await runBoth(t, preferredOnly, (gateway, smscs) => sendAll(gateway, smscs, sends, { one: 'online', two: 'online' }));
  for (const [kind, observations] of Object.entries({ kannel, relay })) {
    for (const seen of observations) {
      const only = seen.message.startsWith('denied-by-one-') ? 'two' : /^prefers-(one|two)-/.exec(seen.message)?.[1];
      // a link's own smsc-id does not restrict it: without an allowed list it takes any id
      if (only) {
        t.deepEqual(seen, { message: seen.message, ...accepted(only) }, kind);
      } else {
        t.like(seen, { status: 202, body: '0: Accepted for delivery' }, `${kind}: ${seen.message}`);
        t.true(seen.arrivedOn.length === 1 && ['one', 'two'].includes(seen.arrivedOn[0]!), `${kind}: ${seen.message} arrived on ${seen.arrivedOn.join(', ') || 'none'}`);
      }
    }
  }
});

const GOOD = { username: 'app', password: 'secret', from: '1000', to: TO };
const DLR = { 'dlr-url': 'http://127.0.0.1:9/dlr' };
const without = (key: keyof typeof GOOD) => Object.fromEntries(Object.entries(GOOD).filter(([name]) => name !== key));

/** Each request's name (its text) and its parameters besides the text. */
const REQUESTS: [message: string, params: Record<string, string>][] = [
  ['good', GOOD],
  ['good-with-user-and-pass', { user: 'app', pass: 'secret', from: '1000', to: GOOD.to }],
  ['bad-password', { ...GOOD, password: 'wrong' }],
  ['unknown-user', { ...GOOD, username: 'nobody' }],
  ['no-credentials', { from: '1000', to: GOOD.to }],
  ['missing-to', without('to')],
  ['empty-to', { ...GOOD, to: '' }],
  ['letters-in-to', { ...GOOD, to: 'abcdef' }],
  ['missing-from-no-global-sender', without('from')],
  ['empty-from-no-global-sender', { ...GOOD, from: '' }],
  ['dlr-mask-too-big', { ...GOOD, ...DLR, 'dlr-mask': '100' }],
  ['mclass-too-big', { ...GOOD, mclass: '4' }],
  ['pid-too-big', { ...GOOD, pid: '256' }],
  ['coding-too-big', { ...GOOD, coding: '3' }],
  ['validity-negative', { ...GOOD, validity: '-5' }],
  ['priority-too-big', { ...GOOD, priority: '4' }],
  ['udh-length-wrong', { ...GOOD, udh: '\x05\x00\x03' }],
  ['two-receivers', { ...GOOD, to: '4915111 4915222' }],
  ['one-receiver-denied', { ...GOOD, to: '4915333 abc' }],
  ['plus-receiver', { ...GOOD, to: '+4915444' }],
  ['dlr-url-not-http', { ...GOOD, 'dlr-url': 'ftp://x/y', 'dlr-mask': '31' }],
  ['mwi-too-big', { ...GOOD, mwi: '8' }],
  ['rpi-too-big', { ...GOOD, rpi: '3' }],
  ['alt-dcs-too-big', { ...GOOD, 'alt-dcs': '2' }],
  ['compress-too-big', { ...GOOD, compress: '2' }],
  ['deferred-negative', { ...GOOD, deferred: '-5' }],
  ['mclass-letters', { ...GOOD, mclass: 'x' }],
  ['charset-unknown', { ...GOOD, charset: 'no-such-charset' }],
  ['coding-ucs2', { ...GOOD, coding: '2', charset: 'UTF-8' }],
  ['long-text', { ...GOOD, text: `long-text ${'x'.repeat(400)}` }],
  ['no-text', { ...GOOD, text: '' }],
];

const answersSetup = {
  accounts: ['upstream'],
  conf: (ports: Record<string, number>): ConfSpec => ({
    smsc: [{ 'smsc-id': 'upstream', port: ports.upstream!, 'smsc-username': 'upstream', 'smsc-password': 'upstream' }],
    users: [{ username: 'app', password: 'secret' }],
  }),
  // testConf always writes a global-sender; this conf has none
  edit: (text: string) => text.replace(/^global-sender = .*\n/m, ''),
};

/** Each request's answer and the submit_sm fields of what arrived (the one without text counted apart). */
async function answerAll(gateway: Gateway, smscs: Smscs) {
  await gateway.waitForLinks({ upstream: 'online' });
  const answers = [];
  for (const [message, params] of REQUESTS) answers.push({ message, ...await gateway.sendsms({ text: message, ...params }) });
  await waitForArrivals(smscs, answers.filter((answer) => answer.status === 202 && answer.message !== 'no-text').map((answer) => answer.message));
  const observations = await observe(smscs, answers);
  return {
    answers: observations.map((seen) => ({ ...seen, submits: submitsOf(smscs, seen.message).map(submitFields) })),
    withoutText: smscs.upstream!.submits.filter((submit) => submit.shortMessage.length === 0).map(submitFields),
  };
}

function submitFields({ sourceAddr, destinationAddr, dataCoding, esmClass, registeredDelivery, shortMessage }: RecordedSubmit) {
  return { sourceAddr, destinationAddr, dataCoding, esmClass, registeredDelivery, shortMessage: shortMessage.toString('hex') };
}

differentialTest('sendsms answers good and bad requests with the same status and body, and sends the same submit_sm, on Kannel and the relay', async (t) => {
  const { kannel, relay } = await runBoth(t, answersSetup, answerAll);
  t.deepEqual(relay, kannel);
  t.like(kannel.answers[0], { status: 202, body: '0: Accepted for delivery', arrivedOn: ['upstream'] });
  t.like(kannel.answers.find((seen) => seen.message === 'bad-password'), { status: 403, body: 'Authorization failed for sendsms' });
  t.is(kannel.withoutText.length, 1);
});
