/**
 * Load for the vote service: concurrent clients posting votes in a loop, each with a voter id
 * never used before, keeping the id of every vote answered 202 (what the service promised to
 * keep) and counting the other answers. A client whose connection fails waits a little and
 * goes on, so that load continues across a restart or a killed worker.
 */
import { FINAL_POLL, postVote } from './vote-service.js';

export interface VoterLoad {
  /** Vote id -> choice of every 202. */
  readonly accepted: Map<string, string>;
  /** Answers by status; `error` for a connection that failed. */
  readonly answers: Map<number | 'error', number>;
  /** Resolves once `count` votes more than now got a 202. */
  acceptedMore(count: number, timeoutMs?: number): Promise<void>;
  /** Stops the clients and waits for the requests in flight. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `clients` clients posting to `url` in the poll "final" (or `poll`). */
export function startVoters(url: string, options: { clients: number; poll?: { id: string; choices: { id: string }[] }; prefix?: string }): VoterLoad {
  const poll = options.poll ?? FINAL_POLL;
  const accepted = new Map<string, string>();
  const answers = new Map<number | 'error', number>();
  const count = (key: number | 'error') => answers.set(key, (answers.get(key) ?? 0) + 1);
  let stopped = false;
  let next = 0;
  const client = async (index: number) => {
    while (!stopped) {
      const n = next++;
      const choice = poll.choices[n % poll.choices.length]!.id;
      try {
        const answer = await postVote(url, { poll: poll.id, choice, voter: `${options.prefix ?? 'v'}${index}-${n}` });
        count(answer.status);
        if (answer.status === 202) accepted.set(String(answer.body.id), choice);
        else if (answer.status >= 500) await sleep(20);
      } catch {
        count('error');
        await sleep(50);
      }
    }
  };
  const running = Array.from({ length: options.clients }, (_, index) => client(index));
  return {
    accepted,
    answers,
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
