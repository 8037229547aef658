/**
 * `main.mjs status`: the relay's /status.json as the device itself reads it, for `mcdebian
 * status` over SSH. The status endpoint lets nobody in without the admin or status password
 * when one is set, from loopback too (http-server.ts; Kannel's bearerbox does the same), so the
 * mode reads the password from the relay's own kannel.conf, root's 0600 copy, and sends it only
 * to the relay on this device. It prints the status and never the password.
 */
import { getLocal, localAddressOf } from '../../runtime/local-get.js';
import type { RelaySettings } from './types.js';

/** The status endpoint's address as seen from the device, without the password. */
export const statusUrlOf = (settings: RelaySettings) =>
  new URL(`http://${localAddressOf(settings.core.adminInterface)}:${settings.core.adminPort}/status.json`);

/** The relay's status JSON; rejects with a message that names the endpoint but not the password. */
export async function queryStatus(settings: RelaySettings, options: { timeoutMs: number }): Promise<string> {
  const url = statusUrlOf(settings);
  const password = settings.core.adminPassword ?? settings.core.statusPassword;
  const withPassword = new URL(url);
  if (password !== undefined) withPassword.searchParams.set('password', password);
  const answer = await getLocal(withPassword, options).catch((error: Error) => {
    throw new Error(`the relay's status endpoint ${url.href} does not answer: ${error.message}`);
  });
  if (answer.status === 403) throw new Error(`the relay's status endpoint ${url.href} refused the password in its kannel.conf (HTTP 403)`);
  if (answer.status !== 200) throw new Error(`the relay's status endpoint ${url.href} answered HTTP ${answer.status}`);
  return answer.body;
}
