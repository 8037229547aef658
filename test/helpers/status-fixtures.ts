/**
 * Rounds of `mcdebian status` recorded from a booted qemu-armhf with callhome, dns-blacklist and
 * smpp-relay (test/fixtures/status/): before the services had their health/status modes, and
 * after, with the relay's SMSC down.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GroupOutputs } from '../../build/status/round.js';

export function loadRound(name: 'router-round' | 'round-before-health-modes'): Map<string, GroupOutputs> {
  const file = fileURLToPath(new URL(`../../../test/fixtures/status/${name}.json`, import.meta.url));
  return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, GroupOutputs>));
}

/** One group's outputs of a recorded round. */
export function recordedOutputs(name: Parameters<typeof loadRound>[0], group: string): GroupOutputs['outputs'] {
  const outputs = loadRound(name).get(group)?.outputs;
  if (!outputs) throw new Error(`no ${group} in ${name}`);
  return outputs;
}
