/**
 * Why a tunnel is down, from what charon logged: the journal of strongswan.service as
 * `journalctl -o json --output-fields=MESSAGE,IKE_SA_NAME,IKE_SA_UNIQUE_ID` prints it, one JSON
 * object a line. charon-systemd gives each message of an IKE_SA its IKE_SA_UNIQUE_ID, and its
 * IKE_SA_NAME once the SA has a config (journal_logger in src/charon-systemd/charon-systemd.c).
 * A responder's IKE_SA_INIT has no config yet, so its messages ("received proposals: ...") are
 * tied to a tunnel by the gateway address its "received packet: from" line names. Unique ids
 * start again at 1 when charon restarts, so messages are grouped per daemon run.
 */

/** What charon said about one IKE_SA that failed. */
export interface FailureReason {
  kind: 'no-proposal-chosen' | 'authentication-failed' | 'peer-not-responding' | 'other';
  /** charon's own line(s), as logged. */
  messages: string[];
  /** When charon logged it (Unix seconds), when the journal says. */
  at?: number;
  /** NO_PROPOSAL_CHOSEN when we responded: what the peer offered and what we have, as charon logged them. */
  receivedProposals?: string;
  configuredProposals?: string;
}

interface Entry {
  message: string;
  name?: string;
  id?: string;
  at?: number;
}

function entryOf(line: string): Entry | undefined {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record.MESSAGE !== 'string') return undefined;
    const micros = Number(record.__REALTIME_TIMESTAMP);
    return {
      message: record.MESSAGE,
      name: typeof record.IKE_SA_NAME === 'string' ? record.IKE_SA_NAME : undefined,
      id: typeof record.IKE_SA_UNIQUE_ID === 'string' ? record.IKE_SA_UNIQUE_ID : undefined,
      at: Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1e6) : undefined,
    };
  } catch {
    return undefined;
  }
}

/** The lines that say why an IKE_SA failed, with the kind each tells (strongSwan's bus messages, 5.9 and 6.0). */
const REASONS: readonly { kind: FailureReason['kind']; pattern: RegExp }[] = [
  { kind: 'no-proposal-chosen', pattern: /NO_PROPOSAL_CHOSEN|^no matching proposal found|^received proposals unacceptable/ },
  { kind: 'authentication-failed', pattern: /AUTHENTICATION_FAILED|^tried \d+ shared keys? for .* but MAC mismatched/ },
  { kind: 'peer-not-responding', pattern: /^giving up after \d+ retransmits|^establishing IKE_SA failed, peer not responding/ },
  { kind: 'other', pattern: /notify error|^establishing CHILD_SA .* failed|failed to establish CHILD_SA|unable to install/ },
];

/** One IKE_SA's messages within a daemon run. */
interface Group {
  entries: Entry[];
  name?: string;
  peer?: string;
}

function groupsOf(entries: readonly Entry[]): Group[] {
  const groups: Group[] = [];
  let current = new Map<string, Group>();
  for (const entry of entries) {
    // charon-systemd logs its plugins once at start: a new run, whose ids start again at 1
    if (entry.message.startsWith('loaded plugins:')) current = new Map();
    if (entry.id === undefined) continue;
    let group = current.get(entry.id);
    if (!group) {
      group = { entries: [] };
      current.set(entry.id, group);
      groups.push(group);
    }
    group.entries.push(entry);
    group.name ??= entry.name;
    group.peer ??= /^received packet: from ([^[\s]+)\[/.exec(entry.message)?.[1] ?? /^initiating IKE_SA \S+ to (\S+)$/.exec(entry.message)?.[1];
  }
  return groups;
}

function reasonOf(group: Group): FailureReason | undefined {
  let found: { kind: FailureReason['kind']; entry: Entry } | undefined;
  for (const entry of group.entries) {
    const reason = REASONS.find((candidate) => candidate.pattern.test(entry.message));
    // a named cause wins over a generic notify error logged after it
    if (reason && (!found || found.kind === 'other' || reason.kind !== 'other')) found = { kind: reason.kind, entry };
  }
  if (!found) return undefined;
  const related = group.entries.filter((entry) => REASONS.some((reason) => reason.pattern.test(entry.message))).map((entry) => entry.message);
  const proposals = (prefix: string) => group.entries.find((entry) => entry.message.startsWith(prefix))?.message.slice(prefix.length);
  return {
    kind: found.kind,
    messages: related,
    at: found.entry.at,
    receivedProposals: proposals('received proposals: '),
    configuredProposals: proposals('configured proposals: '),
  };
}

/** The latest failure charon logged for the tunnel (its connection name and gateway), if any. */
export function lastFailure(journal: string, tunnel: { name: string; gateway: string }): FailureReason | undefined {
  const entries = journal.split('\n').flatMap((line) => entryOf(line) ?? []);
  const groups = groupsOf(entries).filter((group) => group.name === tunnel.name || (group.name === undefined && group.peer === tunnel.gateway));
  for (const group of groups.reverse()) {
    const reason = reasonOf(group);
    if (reason) return reason;
  }
  return undefined;
}
