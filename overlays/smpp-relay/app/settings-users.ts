/**
 * sendsms-user groups -> UserSettings, and the checks across groups: usernames used twice, and
 * smsc ids (an account's default or forced one, a link's allowed, denied or preferred ones) that
 * name no link.
 */
import { didYouMean } from '../../runtime/suggest.js';
import { where } from './kannel-conf.js';
import { defined, issueAt, valueOf, warnAt, type GroupValues, type Issues } from './settings-groups.js';
import type { LinkDraft } from './settings-links.js';
import type { UserSettings } from './types.js';

/** An account's settings, and its group as read (for issues at its lines). */
export interface UserDraft {
  settings: UserSettings;
  read: GroupValues;
}

export function buildUser(read: GroupValues, issues: Issues): UserDraft {
  const v = <T>(key: string) => valueOf<T>(read, key);
  const forcedSmsc = v<string>('forced-smsc');
  const defaultSmsc = v<string>('default-smsc');
  if (forcedSmsc !== undefined && defaultSmsc !== undefined && forcedSmsc !== defaultSmsc) {
    warnAt(read, 'default-smsc', 'default-smsc has no effect next to forced-smsc (Kannel ignores it too)', issues);
  }
  const username = v<string>('username') ?? '';
  const settings: UserSettings = defined({
    origin: read.group.origin,
    username,
    password: v<string>('password') ?? '',
    // gw/urltrans.c: the name defaults to the username
    name: v<string>('name') ?? username,
    defaultSmsc: forcedSmsc === undefined ? defaultSmsc : undefined,
    forcedSmsc,
    defaultSender: v<string>('default-sender'),
    fakedSender: v<string>('faked-sender'),
    maxMessages: v<number>('max-messages') ?? 1,
    concatenation: v<boolean>('concatenation') ?? false,
    userAllowIp: v<string>('user-allow-ip'),
    userDenyIp: v<string>('user-deny-ip'),
    dlrUrl: v<string>('dlr-url'),
  });
  return { settings, read };
}

export function checkUsernames(drafts: UserDraft[], issues: Issues): void {
  const first = new Map<string, UserDraft>();
  for (const draft of drafts) {
    if (!draft.read.entries.has('username')) continue;
    const earlier = first.get(draft.settings.username);
    if (!earlier) {
      first.set(draft.settings.username, draft);
      continue;
    }
    issueAt(draft.read, 'username', `username ${draft.settings.username} is already the account at ${where(earlier.read.group.origin)}: Kannel would only ever use the first; give each account its own username`, issues);
  }
}

/**
 * Ids that no link has. Kannel routes by the allowed/denied/preferred lists, not by a link's own id,
 * so an account's id may also be one that only those lists name; a list's id may be one an account uses.
 */
export function checkIds(links: LinkDraft[], users: UserDraft[], issues: Issues): void {
  const linkIds = new Set(links.map((draft) => draft.settings.smscId));
  const listed = new Set(links.flatMap(({ settings }) => [...(settings.allowedSmscIds ?? []), ...(settings.preferredSmscIds ?? [])]));
  const used = new Set(users.flatMap(({ settings }) => [settings.defaultSmsc, settings.forcedSmsc]).filter((id) => id !== undefined));
  const check = (read: GroupValues, key: string, id: string, known: Set<string>) => {
    if (known.has(id) || linkIds.has(id)) return;
    warnAt(read, key, `${key} names "${id}", which is no link's smsc-id${didYouMean(id, linkIds)}: Kannel allows this, but it is almost always a typo`, issues);
  };
  for (const { read, settings } of users) {
    if (settings.forcedSmsc !== undefined) check(read, 'forced-smsc', settings.forcedSmsc, listed);
    if (settings.defaultSmsc !== undefined) check(read, 'default-smsc', settings.defaultSmsc, listed);
  }
  for (const { read, settings, copy } of links) {
    if (copy !== 1) continue;
    for (const key of ['allowed-smsc-id', 'denied-smsc-id', 'preferred-smsc-id'] as const) {
      const ids = settings[key === 'allowed-smsc-id' ? 'allowedSmscIds' : key === 'denied-smsc-id' ? 'deniedSmscIds' : 'preferredSmscIds'] ?? [];
      for (const id of ids) check(read, key, id, used);
    }
  }
}
