/**
 * A ping left running through the tunnel while something happens to it (a rekey, a gateway
 * killed): its answers as they come, and iputils' own count of what was sent and answered.
 */
import type { ResultPromise } from 'execa';
import { spawnIn, type Teardown } from './netns.js';
import { waitFor } from './wait.js';

/** A running ping. */
export interface RunningPing {
  /** The icmp_seq of every answer so far, in order. */
  answers: number[];
  /** Resolves once an answer with a sequence number above `after` arrives; its arrival time (ms). */
  nextAnswer(options: { after: number; timeoutMs?: number; what?: string }): Promise<{ seq: number; at: number }>;
  /** SIGINT, after which ping prints its summary: packets sent and answered. */
  stop(): Promise<{ transmitted: number; received: number }>;
  process: ResultPromise;
}

/** Pings `to` from `from` in `ns` every `intervalSeconds` (default 0.2, the least iputils allows a non-flood user) until stopped. */
export function startPing(t: Teardown, options: { ns: string; from: string; to: string; intervalSeconds?: number }): RunningPing {
  const process = spawnIn(options.ns, ['ping', '-n', '-i', String(options.intervalSeconds ?? 0.2), '-W', '5', '-I', options.from, options.to], { buffer: true });
  t.teardown(() => {
    process.kill('SIGKILL');
  });
  const answers: number[] = [];
  const times: number[] = [];
  let output = '';
  let pending = '';
  process.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const seq = /icmp_seq=(\d+) ttl=/.exec(line)?.[1];
      if (seq === undefined) continue;
      answers.push(Number(seq));
      times.push(Date.now());
    }
  });
  return {
    answers,
    process,
    nextAnswer: (wait) => waitFor(() => {
      if (process.exitCode !== null) throw new Error(`ping exited: ${output.slice(-500)}`);
      const index = answers.findIndex((seq) => seq > wait.after);
      return index < 0 ? undefined : { seq: answers[index]!, at: times[index]! };
    }, { what: wait.what ?? `a ping answer after icmp_seq ${wait.after}`, timeoutMs: wait.timeoutMs }),
    stop: async () => {
      // `ip netns exec` execs ping, so the signal reaches ping itself
      process.kill('SIGINT');
      await process;
      const summary = /(\d+) packets transmitted, (\d+) received/.exec(output);
      if (!summary) throw new Error(`ping printed no summary: ${output.slice(-500)}`);
      return { transmitted: Number(summary[1]), received: Number(summary[2]) };
    },
  };
}
