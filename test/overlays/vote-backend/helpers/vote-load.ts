/**
 * Load for the vote service in tests: several clients post votes, each with a voter id of its
 * own, until told to stop, and keep every answer. A client whose request fails (the service was
 * killed, or is restarting) waits a little and goes on with a new vote: what counts is which
 * votes were answered 202, and those are the ones that must be in the database.
 */
export interface VoteLoadResult {
  /** The ids of the votes answered 202 (the service's `id`). */
  accepted: string[];
  /** Answers other than 202, by status, and failed requests, by error code. */
  other: Record<string, number>;
}

export interface VoteLoadOptions {
  /** The service's base URL, such as http://127.0.0.1:8080. */
  url: string;
  poll: string;
  choices: readonly string[];
  clients: number;
  /** Voter ids start with it, so that two loads on one service never share a voter. */
  voterPrefix?: string;
}

/** What one client does until the signal: returns when it stopped. */
async function runClient(options: VoteLoadOptions & { signal: AbortSignal }, client: number, result: VoteLoadResult): Promise<void> {
  for (let n = 0; !options.signal.aborted; n++) {
    const body = JSON.stringify({ poll: options.poll, choice: options.choices[n % options.choices.length], voter: `${options.voterPrefix ?? 'v'}${client}-${n}` });
    try {
      const response = await fetch(`${options.url}/votes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { id?: string };
      if (response.status === 202 && answer.id) result.accepted.push(answer.id);
      else result.other[String(response.status)] = (result.other[String(response.status)] ?? 0) + 1;
    } catch (error) {
      const code = String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name);
      result.other[code] = (result.other[code] ?? 0) + 1;
      // the service is away: no point hammering a closed port
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A load running: its answers so far (read them while it runs), and how to stop it. */
export interface VoteLoad {
  result: VoteLoadResult;
  /** Stops the clients; resolves once the last one finished its request in flight. */
  stop(): Promise<VoteLoadResult>;
}

export function startVoteLoad(options: VoteLoadOptions): VoteLoad {
  const result: VoteLoadResult = { accepted: [], other: {} };
  const controller = new AbortController();
  const clients = Promise.all(Array.from({ length: options.clients }, (_, client) => runClient({ ...options, signal: controller.signal }, client, result)));
  return {
    result,
    async stop() {
      controller.abort();
      await clients;
      return result;
    },
  };
}
