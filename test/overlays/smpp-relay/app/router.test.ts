import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseLink, isRoutable, linkUsability, type LinkView, type Route, type RoutingLists, type Usability } from '../../../../overlays/smpp-relay/app/router.js';
import { loadKannelConf } from '../../../../overlays/smpp-relay/app/settings.js';
import type { LinkSettings } from '../../../../overlays/smpp-relay/app/types.js';

const FIXTURES = fileURLToPath(new URL('../../../../../test/fixtures/smpp-relay/', import.meta.url));

/** A link as the router sees it: lists, bound and in rotation, and its queue. */
const view = (lists: RoutingLists = {}, change: Partial<Omit<LinkView, 'lists'>> = {}): LinkView => ({ lists, active: true, load: 0, ...change });

const usability = test.macro({
  exec(t, lists: RoutingLists, smscId: string | undefined, expected: Usability) {
    t.is(linkUsability(lists, smscId), expected);
  },
  title: (given, _lists, smscId: string | undefined, expected: Usability) =>
    `${given}: a message ${smscId === undefined ? 'without smsc-id' : `for "${smscId}"`} is ${({ [-1]: 'not usable', 0: 'usable', 1: 'preferred' } as const)[expected]}`,
});

test('no lists', usability, {}, 'a', 0);
test('no lists', usability, {}, undefined, 0);
test('allowed-smsc-id naming it', usability, { allowedSmscIds: ['a', 'b'] }, 'b', 0);
test('allowed-smsc-id not naming it', usability, { allowedSmscIds: ['a'] }, 'b', -1);
test('allowed-smsc-id', usability, { allowedSmscIds: ['a'] }, undefined, -1);
test('allowed-smsc-id, which compares exactly (octstr_item_match)', usability, { allowedSmscIds: ['a'] }, 'A', -1);
test('denied-smsc-id naming it', usability, { deniedSmscIds: ['a'] }, 'a', -1);
test('denied-smsc-id not naming it', usability, { deniedSmscIds: ['a'] }, 'b', 0);
test('denied-smsc-id', usability, { deniedSmscIds: ['a'] }, undefined, 0);
test('allowed and denied both naming it (allowed wins)', usability, { allowedSmscIds: ['a'], deniedSmscIds: ['a'] }, 'a', 0);
test('allowed naming it and denied not', usability, { allowedSmscIds: ['a'], deniedSmscIds: ['b'] }, 'b', -1);
test('preferred-smsc-id naming it', usability, { preferredSmscIds: ['a'] }, 'a', 1);
test('preferred-smsc-id', usability, { preferredSmscIds: ['a'] }, undefined, 0);
test('allowed and preferred naming it', usability, { allowedSmscIds: ['a', 'b'], preferredSmscIds: ['b'] }, 'b', 1);
test('preferred but denied', usability, { deniedSmscIds: ['a'], preferredSmscIds: ['a'] }, 'a', -1);
test('preferred but not allowed', usability, { allowedSmscIds: ['b'], preferredSmscIds: ['a'] }, 'a', -1);

const routes = test.macro({
  exec(t, smscId: string | undefined, links: LinkView[], options: { start: number; maxQueue: number }, expected: Route) {
    t.deepEqual(chooseLink(smscId, links, options), expected);
  },
  title: (given, _smscId, _links, _options, expected: Route) => `${given}: ${expected.kind === 'link' ? `link ${expected.index}` : expected.kind}`,
});

const open = { start: 0, maxQueue: 100 };

test('the lowest load wins among ordinary links', routes, 'a', [view({}, { load: 5 }), view({}, { load: 2 }), view({}, { load: 3 })], open, { kind: 'link', index: 1 });
test('a preferred link beats any ordinary one, however loaded', routes, 'a', [view({}, { load: 0 }), view({ preferredSmscIds: ['a'] }, { load: 50 })], open, { kind: 'link', index: 1 });
test('the lowest load wins among preferred links', routes, 'a', [view({ preferredSmscIds: ['a'] }, { load: 9 }), view({}), view({ preferredSmscIds: ['a'] }, { load: 4 })], open, { kind: 'link', index: 2 });
test('on a tie the first link from the start wins (start 0)', routes, 'a', [view(), view(), view()], { start: 0, maxQueue: 100 }, { kind: 'link', index: 0 });
test('on a tie the first link from the start wins (start 2)', routes, 'a', [view(), view(), view()], { start: 2, maxQueue: 100 }, { kind: 'link', index: 2 });
test('on a tie the walk wraps around from the start', routes, 'a', [view({}, { load: 1 }), view({}, { load: 3 }), view({}, { load: 1 })], { start: 1, maxQueue: 100 }, { kind: 'link', index: 2 });
test('preferred links tie the same way', routes, 'a', [view({ preferredSmscIds: ['a'] }), view({ preferredSmscIds: ['a'] })], { start: 1, maxQueue: 100 }, { kind: 'link', index: 1 });
test('an inactive preferred link leaves the message to an ordinary active one', routes, 'a', [view({ preferredSmscIds: ['a'] }, { active: false }), view()], open, { kind: 'link', index: 1 });
test('a full preferred link leaves the message to an ordinary one', routes, 'a', [view({ preferredSmscIds: ['a'] }, { load: 11 }), view({}, { load: 3 })], { start: 0, maxQueue: 10 }, { kind: 'link', index: 1 });
test('a link exactly at the queue limit is not full yet', routes, 'a', [view({}, { load: 10 })], { start: 0, maxQueue: 10 }, { kind: 'link', index: 0 });
test('an unusable link is never chosen, even when idle', routes, 'a', [view({ deniedSmscIds: ['a'] }), view({}, { load: 7 })], open, { kind: 'link', index: 1 });
test('usable links that are all inactive make the message wait', routes, 'a', [view({}, { active: false }), view({ deniedSmscIds: ['a'] })], open, { kind: 'queue' });
test('usable active links that are all full give QFULL', routes, 'a', [view({}, { load: 11 }), view({}, { load: 12 })], { start: 0, maxQueue: 10 }, { kind: 'full' });
test('an inactive usable link and a full one make the message wait, as bad_found comes first', routes, 'a', [view({}, { load: 11 }), view({}, { active: false })], { start: 0, maxQueue: 10 }, { kind: 'queue' });
test('no usable link rejects the message', routes, 'a', [view({ allowedSmscIds: ['b'] }), view({ deniedSmscIds: ['a'] })], open, { kind: 'reject' });
test('no link at all rejects the message', routes, 'a', [], open, { kind: 'reject' });
test('a message without smsc-id does not go to a link with an allowed list', routes, undefined, [view({ allowedSmscIds: ['a'] }), view({}, { load: 9 })], open, { kind: 'link', index: 1 });

test('a link\'s own smsc-id plays no part in routing', (t) => {
  const named = (smscId: string, lists: RoutingLists = {}): LinkView => view({ ...lists, smscId } as RoutingLists & Pick<LinkSettings, 'smscId'>);
  // a link named "b" with no lists takes messages for "a" and for no smsc-id at all
  t.deepEqual(chooseLink('a', [named('b')], open), { kind: 'link', index: 0 });
  t.deepEqual(chooseLink(undefined, [named('b')], open), { kind: 'link', index: 0 });
  // and a link named "a" is not preferred for "a" messages because of its name
  t.deepEqual(chooseLink('a', [named('a', {}), named('c', { preferredSmscIds: ['a'] })], open), { kind: 'link', index: 1 });
});

test('isRoutable says whether any link could ever take the message, active or not', (t) => {
  const links = [view({ allowedSmscIds: ['a'] }, { active: false }), view({ deniedSmscIds: ['b'] }, { active: false })];
  t.true(isRoutable('a', links));
  t.false(isRoutable('b', [links[0]!, view({ deniedSmscIds: ['b'] })]));
  t.true(isRoutable(undefined, links));
  t.false(isRoutable(undefined, [links[0]!]));
  t.false(isRoutable('a', []));
});

/** The links of a fixture, as the router sees them with these states and loads. */
function fixtureLinks(name: string, states: Partial<LinkView>[]): { links: LinkView[]; settings: LinkSettings[]; forced?: string } {
  const { settings } = loadKannelConf(join(FIXTURES, name));
  if (!settings) throw new Error(`${name} does not load`);
  const links = settings.links.map((link, index) => ({ lists: link, active: true, load: 0, ...states[index] }));
  const forced = settings.users[0]?.forcedSmsc;
  return { links, settings: settings.links, ...(forced === undefined ? {} : { forced }) };
}

test('active-passive (the published example): the active link takes every message of company_1 while it is up, whatever the start and loads', (t) => {
  const { links, forced } = fixtureLinks('active-passive.conf', [{ load: 40 }, { load: 0 }]);
  t.is(forced, 'reliable_smpp_gw');
  for (const start of [0, 1]) t.deepEqual(chooseLink(forced, links, { start, maxQueue: 1000 }), { kind: 'link', index: 0 });
});

test('active-passive (the published example): with the active link down, company_1 waits, because the passive link allows "realiable_smpp_gw" (sic), as in Kannel', (t) => {
  const { links, forced } = fixtureLinks('active-passive.conf', [{ active: false }, {}]);
  for (const start of [0, 1]) t.deepEqual(chooseLink(forced, links, { start, maxQueue: 1000 }), { kind: 'queue' });
});

test('active-passive with the typo corrected: the passive link takes over while the active one is down, and only then', (t) => {
  const { links, forced } = fixtureLinks('active-passive.conf', [{ active: false }, {}]);
  const corrected = links.map((link, index) => (index === 1 ? { ...link, lists: { ...link.lists, allowedSmscIds: ['unreliable_smpp_gw', 'reliable_smpp_gw'] } } : link));
  for (const start of [0, 1]) t.deepEqual(chooseLink(forced, corrected, { start, maxQueue: 1000 }), { kind: 'link', index: 1 });
  const back = corrected.map((link) => ({ ...link, active: true }));
  for (const start of [0, 1]) t.deepEqual(chooseLink(forced, back, { start, maxQueue: 1000 }), { kind: 'link', index: 0 });
});

test('active-passive (the published example): messages for the passive link\'s own id go only there, and a message without smsc-id nowhere', (t) => {
  const { links } = fixtureLinks('active-passive.conf', [{}, { load: 50 }]);
  t.deepEqual(chooseLink('unreliable_smpp_gw', links, { start: 0, maxQueue: 1000 }), { kind: 'link', index: 1 });
  t.deepEqual(chooseLink(undefined, links, { start: 0, maxQueue: 1000 }), { kind: 'reject' });
  t.deepEqual(chooseLink('elsewhere', links, { start: 0, maxQueue: 1000 }), { kind: 'reject' });
});

test('active-active (the published example): two links with one smsc-id share the traffic by load, ties by the random start', (t) => {
  const { links, settings, forced } = fixtureLinks('active-active.conf', [{ load: 3 }, { load: 1 }]);
  t.deepEqual(settings.map((link) => link.smscId), ['smpp_carrier_gw', 'smpp_carrier_gw']);
  t.deepEqual(chooseLink(forced, links, { start: 0, maxQueue: 1000 }), { kind: 'link', index: 1 });
  const even = links.map((link) => ({ ...link, load: 2 }));
  t.deepEqual(chooseLink(forced, even, { start: 0, maxQueue: 1000 }), { kind: 'link', index: 0 });
  t.deepEqual(chooseLink(forced, even, { start: 1, maxQueue: 1000 }), { kind: 'link', index: 1 });
  // no lists: any smsc-id, or none, goes too
  t.deepEqual(chooseLink(undefined, even, { start: 1, maxQueue: 1000 }), { kind: 'link', index: 1 });
});

test('active-active (the published example): one link down leaves all to the other; both down, messages wait', (t) => {
  const { links, forced } = fixtureLinks('active-active.conf', [{ active: false, load: 0 }, { load: 30 }]);
  for (const start of [0, 1]) t.deepEqual(chooseLink(forced, links, { start, maxQueue: 1000 }), { kind: 'link', index: 1 });
  const down = links.map((link) => ({ ...link, active: false }));
  t.deepEqual(chooseLink(forced, down, { start: 0, maxQueue: 1000 }), { kind: 'queue' });
});
