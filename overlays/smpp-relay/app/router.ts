/**
 * Which link takes a message: Kannel 1.4.5's smsc2_rout() (gw/bb_smscconn.c) and
 * smscconn_usable() (gw/smscconn.c), as pure functions.
 *
 * - A link is usable for a message unless its `allowed-smsc-id` list is set and lacks the
 *   message's smsc-id (a message without one included), or, with no allowed list, its
 *   `denied-smsc-id` list names it. Ids compare exactly, as Kannel's octstr_item_match does.
 *   The link's own `smsc-id` plays no part: it only names the link.
 * - It is preferred when its `preferred-smsc-id` list names the message's smsc-id.
 * - The walk starts at a random link; among the usable links that are active and not full, a
 *   preferred one wins over any other, and within each kind the lowest load (queue length)
 *   wins, the first found on a tie.
 * - Usable links exist but none is active: the message waits in the global queue ("3: Queued
 *   for later delivery"). All the active ones are full: QFULL. None usable: rejected.
 *
 * Where McDebian differs, `active` says so: a link that is bound but timing out or failing its
 * submits is taken out of rotation by health.ts, and counts here as not active.
 */
import type { LinkSettings } from './types.js';

/** -1 not usable, 0 usable, 1 preferred (smscconn_usable's values). */
export type Usability = -1 | 0 | 1;

export type RoutingLists = Pick<LinkSettings, 'allowedSmscIds' | 'deniedSmscIds' | 'preferredSmscIds'>;

/** What the router needs to know of a link at this moment. */
export interface LinkView {
  lists: RoutingLists;
  /** Bound and in rotation. */
  active: boolean;
  /** Parts queued on the link, Kannel's `load` for SMPP. */
  load: number;
}

export type Route =
  | { kind: 'link'; index: number }
  /** Usable links exist, none active now. */
  | { kind: 'queue' }
  /** Every active usable link is over the queue limit. */
  | { kind: 'full' }
  /** No link may ever carry it. */
  | { kind: 'reject' };

/** smscconn_usable() without prefixes (the config refuses prefix routing). */
export function linkUsability(lists: RoutingLists, smscId: string | undefined): Usability {
  const names = (list: readonly string[] | undefined) => smscId !== undefined && list !== undefined && list.includes(smscId);
  if (lists.allowedSmscIds) {
    if (!names(lists.allowedSmscIds)) return -1;
  } else if (names(lists.deniedSmscIds)) {
    return -1;
  }
  return names(lists.preferredSmscIds) ? 1 : 0;
}

/**
 * The link for a message with this smsc-id. `start` is where the walk begins (Kannel: a random
 * index); `maxQueue` is the most parts a link may hold before it counts as full.
 */
export function chooseLink(smscId: string | undefined, links: readonly LinkView[], options: { start: number; maxQueue: number }): Route {
  let preferred: { index: number; load: number } | undefined;
  let ok: { index: number; load: number } | undefined;
  let inactive = false;
  let full = false;
  for (let step = 0; step < links.length; step += 1) {
    const index = (step + options.start) % links.length;
    const link = links[index]!;
    const usability = linkUsability(link.lists, smscId);
    if (usability === -1) continue;
    if (usability !== 1 && preferred) continue;
    if (!link.active) {
      inactive = true;
      continue;
    }
    if (link.load > options.maxQueue) {
      full = true;
      continue;
    }
    // as in smsc2_rout: a preferred link that does not beat the best preferred one still competes as an ordinary one
    if (usability === 1 && (!preferred || link.load < preferred.load)) {
      preferred = { index, load: link.load };
      continue;
    }
    if (!ok || link.load < ok.load) ok = { index, load: link.load };
  }
  const best = preferred ?? ok;
  if (best) return { kind: 'link', index: best.index };
  if (inactive) return { kind: 'queue' };
  if (full) return { kind: 'full' };
  return { kind: 'reject' };
}

/** Whether any link could ever take a message with this smsc-id (for answering "Not routable" at once). */
export function isRoutable(smscId: string | undefined, links: readonly { lists: RoutingLists }[]): boolean {
  return links.some((link) => linkUsability(link.lists, smscId) !== -1);
}
