/**
 * The tunnel as a booted guest shows it: charon's SAs over `swanctl --list-sas --raw`, and the
 * kernel's ESP counters from `ip -s xfrm state`.
 */
import type { BootedGuest } from '../../../helpers/guest.js';

/** The IKE SA's unique id and state, and whether a child is installed, from `swanctl --list-sas --raw`. */
export function tunnelState(raw: string, connection: string): { ikeId?: string; established: boolean; installed: boolean } {
  const start = raw.indexOf(`${connection} {`);
  if (start < 0) return { established: false, installed: false };
  // the IKE SA's own keys come before its child-sas section
  const [ike = '', children = ''] = raw.slice(start).split('child-sas');
  return { ikeId: /uniqueid=(\d+)/.exec(ike)?.[1], established: /state=ESTABLISHED/.test(ike), installed: /state=INSTALLED/.test(children) };
}

/** What both ends say about IKE, for a tunnel that did not come up: charon's log, the SAs, the addresses. */
async function describeEnds(ends: Record<string, BootedGuest>): Promise<string> {
  const command = 'ip -br addr; swanctl --list-sas 2>/dev/null; journalctl -u strongswan.service -b --no-pager -n 40 -o short-monotonic 2>&1';
  const parts = await Promise.all(Object.entries(ends).map(async ([name, end]) => {
    const said = await end.run(command).catch((error: Error) => ({ stdout: `(no answer: ${error.message})` }));
    return `--- ${name}:\n${said.stdout.slice(-4000)}`;
  }));
  return parts.join('\n');
}

/**
 * Waits until the connection's IKE SA is established with a child installed (and, if given, is
 * not the SA `previous`); when it is not, the error carries both ends' view (`peer`: the other
 * guest). swanctl's stderr (plugins Debian builds into others, which it cannot load) is left out.
 */
export async function waitForTunnel(guest: BootedGuest, connection: string, options: { minutes: number; previous?: string; peer?: BootedGuest }): Promise<{ ikeId?: string; raw: string }> {
  const deadline = Date.now() + options.minutes * 60_000;
  for (;;) {
    const raw = (await guest.run('swanctl --list-sas --raw 2>/dev/null')).stdout;
    const state = tunnelState(raw, connection);
    if (state.established && state.installed && state.ikeId !== options.previous) return { ikeId: state.ikeId, raw };
    if (Date.now() > deadline) {
      const ends = await describeEnds({ router: guest, ...(options.peer ? { peer: options.peer } : {}) });
      throw new Error(`${connection} not up within ${options.minutes} minutes; the SA (${JSON.stringify(state)}):\n${raw.slice(-1000)}\n${ends}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** Bytes and packets of all the kernel's SAs, summed (`lifetime current:` of `ip -s xfrm state`). */
export async function ipsecCounters(guest: BootedGuest): Promise<{ bytes: number; packets: number; states: number }> {
  const text = (await guest.run('ip -s xfrm state')).stdout;
  const counts = [...text.matchAll(/(\d+)\(bytes\), (\d+)\(packets\)/g)];
  return {
    bytes: counts.reduce((sum, match) => sum + Number(match[1]), 0),
    packets: counts.reduce((sum, match) => sum + Number(match[2]), 0),
    states: (text.match(/^src /gm) ?? []).length,
  };
}
