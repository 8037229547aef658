/**
 * `main.mjs health`: what `mcdebian status` asks the device about the blacklist, as one JSON
 * object: whether the admin API answers its /health (the way a client reaches it, TLS
 * included), and how many domains the policy zone blocks, read by the same zone transfer the
 * API lists the domains with. A failure of either is part of the answer, not an error.
 */
import { readFile } from 'node:fs/promises';
import { getLocal, localAddressOf } from '../../runtime/local-get.js';
import type { ServiceConfig } from './config.js';
import type { Updater } from './updater.js';

export interface BlacklistHealth {
  api: { url: string; answering: boolean; status?: number; error?: string };
  zone: { name: string; domains?: number; error?: string };
}

async function checkApi(config: ServiceConfig, timeoutMs: number): Promise<BlacklistHealth['api']> {
  const tls = config.api.tls;
  const url = new URL(`${tls ? 'https' : 'http'}://${localAddressOf(config.api.listen)}:${config.api.port}/health`);
  try {
    const pinnedCertificate = tls ? await readFile(tls.certFile, 'utf8') : undefined;
    const answer = await getLocal(url, { timeoutMs, pinnedCertificate });
    return { url: url.href, answering: answer.status === 200, status: answer.status };
  } catch (error) {
    return { url: url.href, answering: false, error: (error as Error).message };
  }
}

async function countZone(config: ServiceConfig, updater: Updater): Promise<BlacklistHealth['zone']> {
  try {
    return { name: config.zone, domains: (await updater.list()).length };
  } catch (error) {
    return { name: config.zone, error: (error as Error).message };
  }
}

/** Asks the API and the zone at once. */
export async function checkHealth(config: ServiceConfig, updater: Updater, options: { timeoutMs: number }): Promise<BlacklistHealth> {
  const [api, zone] = await Promise.all([checkApi(config, options.timeoutMs), countZone(config, updater)]);
  return { api, zone };
}
