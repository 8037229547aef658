/**
 * Load for the vote service: concurrent clients posting votes in a loop, each with a voter id
 * never used before, keeping the id of every vote answered 202 (what the service promised to
 * keep) and counting the other answers. A client whose connection fails waits a little and
 * goes on, so that load continues across a restart or a killed worker. With `idempotencyKeys`
 * each vote carries its own key and a vote whose request failed is sent again, same key, as a
 * page does after a network error: the service may have kept the first one.
 */
import { FINAL_POLL, postVote } from './vote-service.js';

export interface VoterLoad {
  /** Vote id -> choice of every 202. */
  readonly accepted: Map<string, string>;
  /** Answers by status; `error` for a connection that failed. */
  readonly answers: Map<number | 'error', number>;
  /** Votes answered 202 after one or more failed tries with the same key. */
  readonly retriedAccepted: number;
  /** Resolves once `count` votes more than now got a 202. */
  acceptedMore(count: number, timeoutMs?: number): Promise<void>;
  /** Stops the clients and waits for the requests in flight. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `clients` clients posting to `url` in the poll "final" (or `poll`). */
export function startVoters(url: string, options: { clients: number; poll?: { id: string; choices: { id: string }[] }; prefix?: string; idempotencyKeys?: boolean }): VoterLoad {
  const poll = options.poll ?? FINAL_POLL;
  const accepted = new Map<string, string>();
  const answers = new Map<number | 'error', number>();
  const count = (key: number | 'error') => answers.set(key, (answers.get(key) ?? 0) + 1);
  let stopped = false;
  let next = 0;
  let retriedAccepted = 0;
  const client = async (index: number) => {
    let retry: number | undefined;
    while (!stopped) {
      const n = retry ?? next++;
      const choice = poll.choices[n % poll.choices.length]!.id;
      const voter = `${options.prefix ?? 'v'}${index}-${n}`;
      try {
        const answer = await postVote(url, { poll: poll.id, choice, voter }, options.idempotencyKeys ? { 'Idempotency-Key': `"${voter}"` } : {});
        count(answer.status);
        if (answer.status === 202) {
          accepted.set(String(answer.body.id), choice);
          if (retry !== undefined) retriedAccepted++;
        }
        retry = undefined;
        if (answer.status >= 500) await sleep(20);
      } catch {
        count('error');
        if (options.idempotencyKeys) retry = n;
        await sleep(50);
      }
    }
  };
  const running = Array.from({ length: options.clients }, (_, index) => client(index));
  return {
    accepted,
    answers,
    get retriedAccepted() {
      return retriedAccepted;
    },
    async acceptedMore(more, timeoutMs = 60_000) {
      const target = accepted.size + more;
      const deadline = Date.now() + timeoutMs;
      while (accepted.size < target) {
        if (Date.now() > deadline) throw new Error(`only ${accepted.size} of ${target} votes got a 202 within ${timeoutMs / 1000} s (answers: ${JSON.stringify([...answers])})`);
        await sleep(20);
      }
    },
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}
