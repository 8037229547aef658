/**
 * Tests against the host's own Debian mirror (the one its apt sources name). Locally an
 * unreachable mirror skips them with the reason; with CI=true they always run, and fail.
 */
import { readHostMirrors } from '../../rootfs/apt-sources.js';

/** Why the host's mirror cannot be used, or undefined when it can (always undefined in CI). */
export async function realMirrorUnavailable(): Promise<string | undefined> {
  if (process.env.CI === 'true') return undefined;
  const { mirror } = await readHostMirrors();
  if (mirror === undefined) return 'the host apt sources name no Debian mirror';
  const release = `${mirror}/dists/trixie/Release`;
  const response = await fetch(release, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).catch((error: Error) => error);
  if (response instanceof Error) return `${release} is not reachable: ${response.message}`;
  return response.ok ? undefined : `${release} answered HTTP ${response.status}`;
}
