/**
 * Network namespaces for vpn-azure's tests: an on-premises site ("left", the device) and an
 * "Azure" gateway ("right"), joined by a veth pair whose addresses stand for the two public IP
 * addresses, each with a private subnet address on its loopback (the host kernel has no dummy
 * interfaces), so that traffic between 10.1.0.1 and 10.2.0.1 has no path but the tunnel. An
 * optional second gateway ("second", the other instance of an active-active Azure gateway) has
 * its own veth pair to the site and the same VNet address. Names are unique per test process and
 * test; the namespaces (and with them their interfaces) are deleted when the test ends.
 */
import type { ExecutionContext } from 'ava';
import { execa, type Options, type ResultPromise } from 'execa';

/** One namespace's addresses. */
export interface Site {
  /** The namespace's name. */
  ns: string;
  /** Its public address toward the site, or the site's toward the first gateway. */
  outer: string;
  /** Its private subnet's address (10.1.0.1 on the site, 10.2.0.1 in Azure's VNet). */
  inner: string;
  /** The private subnet. */
  subnet: string;
}

/** The site, the first gateway and, when asked for, the second with the site's address toward it. */
export interface Sites {
  left: Site;
  right: Site;
  second?: { gateway: Site; leftOuter: string };
}

/** What the helpers need of a test: somewhere to register cleanup (ava's t, or a benchmark's own list). */
export type Teardown = Pick<ExecutionContext, 'teardown'>;

let made = 0;

/** Runs argv in a namespace; rejects with its stderr when it fails. */
export function exec(ns: string, argv: readonly string[], options: Options = {}): ResultPromise {
  return execa('ip', ['netns', 'exec', ns, ...argv], options);
}

/** Starts a long-running program in a namespace (the caller stops it). */
export function spawnIn(ns: string, argv: readonly string[], options: Options = {}): ResultPromise {
  return execa('ip', ['netns', 'exec', ns, ...argv], { reject: false, ...options });
}

const ip = (...args: string[]) => execa('ip', args);

async function addNamespace(t: Teardown, name: string): Promise<void> {
  await ip('netns', 'add', name);
  t.teardown(async () => {
    await ip('netns', 'delete', name).catch(() => undefined);
  });
  await ip('-n', name, 'link', 'set', 'lo', 'up');
}

/**
 * A veth pair made directly inside the two namespaces, so no name is ever taken on the host; each
 * end is named after the namespace it leads to (to-r, to-l...).
 */
async function joinNamespaces(a: { ns: string; address: string }, b: { ns: string; address: string }): Promise<void> {
  const nameA = `to-${b.ns.slice(-1)}`;
  const nameB = `to-${a.ns.slice(-1)}`;
  await ip('link', 'add', nameA, 'netns', a.ns, 'type', 'veth', 'peer', 'name', nameB, 'netns', b.ns);
  for (const [end, name] of [[a, nameA], [b, nameB]] as const) {
    await ip('-n', end.ns, 'addr', 'add', `${end.address}/24`, 'dev', name);
    await ip('-n', end.ns, 'link', 'set', name, 'up');
  }
}

/** Makes the namespaces: the site and one gateway, and the second gateway when `activeActive`. */
export async function makeSites(t: Teardown, options: { activeActive?: boolean } = {}): Promise<Sites> {
  made += 1;
  const base = `vazt-${process.pid}-${made}`;
  const left: Site = { ns: `${base}-l`, outer: '192.0.2.1', inner: '10.1.0.1', subnet: '10.1.0.0/24' };
  const right: Site = { ns: `${base}-r`, outer: '192.0.2.2', inner: '10.2.0.1', subnet: '10.2.0.0/24' };
  const sites: Sites = { left, right };
  if (options.activeActive) sites.second = { gateway: { ns: `${base}-s`, outer: '198.51.100.2', inner: '10.2.0.1', subnet: '10.2.0.0/24' }, leftOuter: '198.51.100.1' };
  for (const site of [left, right, sites.second?.gateway]) {
    if (!site) continue;
    await addNamespace(t, site.ns);
    await ip('-n', site.ns, 'addr', 'add', `${site.inner}/24`, 'dev', 'lo');
  }
  await joinNamespaces({ ns: left.ns, address: left.outer }, { ns: right.ns, address: right.outer });
  if (sites.second) await joinNamespaces({ ns: left.ns, address: sites.second.leftOuter }, { ns: sites.second.gateway.ns, address: sites.second.gateway.outer });
  return sites;
}
