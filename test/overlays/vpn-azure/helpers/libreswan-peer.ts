/**
 * An "Azure" VPN gateway played by libreswan's pluto, the tests' independent IKE implementation:
 * Azure's offer as a libreswan connection (ipsec.conf(5) of libreswan 4.10), run from the tree
 * .ci/setup-host unpacks (Debian's libreswan conflicts with strongSwan's packages), in its own
 * namespace with its own run directory, NSS database and secrets, stopped with whack.
 * libreswan cannot do DH group 2 or 24 (not compiled in since 4.x, ipsec.conf(5)): presets that
 * need them are played by azure-peer.ts's strongSwan instead.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import type { EspSuite, IkeSuite } from '../../../../overlays/vpn-azure/algorithms.js';
import type { AzurePeerOptions } from './azure-peer.js';
import { spawnIn } from './netns.js';
import { waitFor } from './wait.js';

export const LIBRESWAN_ROOT = '/opt/libreswan-root';
export const PLUTO = `${LIBRESWAN_ROOT}/usr/libexec/ipsec/pluto`;
export const WHACK = `${LIBRESWAN_ROOT}/usr/libexec/ipsec/whack`;

/** strongSwan's keywords in libreswan's names (ipsec.conf(5) ike=, esp=; `ipsec algparse`). */
const CIPHERS: Record<string, string> = {
  aes128: 'aes128', aes192: 'aes192', aes256: 'aes256', '3des': '3des',
  aes128gcm16: 'aes_gcm128', aes192gcm16: 'aes_gcm192', aes256gcm16: 'aes_gcm256',
};
const HASHES: Record<string, string> = { sha1: 'sha1', sha256: 'sha2_256', sha384: 'sha2_384', sha512: 'sha2_512' };
const GROUPS: Record<string, string> = { modp2048: 'dh14', ecp256: 'dh19', ecp384: 'dh20' };

function group(name: string): string {
  const libreswan = GROUPS[name];
  if (!libreswan) throw new Error(`libreswan cannot negotiate ${name}: play this preset with the strongSwan peer (azure-peer.ts)`);
  return libreswan;
}

/** An IKE suite: `cipher-integrity;dhNN`, where with GCM the second name is the PRF. */
const ikeOf = (suite: IkeSuite) => `${CIPHERS[suite.encryption]}-${HASHES[suite.integrity ?? suite.prf.replace(/^prf/, '')]};${group(suite.dh)}`;

/** An ESP suite: GCM takes `null` as its integrity; the PFS group is appended (it needs pfs=yes). */
const espOf = (suite: EspSuite) => [CIPHERS[suite.encryption], suite.integrity ? HASHES[suite.integrity] : 'null', suite.dh && group(suite.dh)].filter(Boolean).join('-');

/** The ipsec.conf text for the offer; throws when libreswan cannot play it. */
export function libreswanConf(options: AzurePeerOptions & { dir: string }): string {
  const { offer } = options;
  const pfs = new Set(offer.esp.map((suite) => suite.dh !== undefined));
  if (pfs.size > 1) throw new Error('libreswan sets PFS per connection: this offer mixes suites with and without PFS');
  const local = options.selectors?.local ?? ['0.0.0.0/0'];
  const remote = options.selectors?.remote ?? ['0.0.0.0/0'];
  if (local.length !== 1 || remote.length !== 1) throw new Error('the libreswan peer takes one local and one remote subnet');
  // IKEv2 liveness gives up after retransmit-timeout; dpdtimeout is IKEv1's (addconn says so)
  const dpd = offer.dpd ? `\n    dpddelay=${options.dpdDelaySeconds ?? 10}s\n    retransmit-timeout=${options.dpdTimeoutSeconds ?? 45}s\n    dpdaction=clear` : '';
  return `config setup
    logfile=${join(options.dir, 'pluto.log')}
    logappend=no
    dumpdir=${join(options.dir, 'run')}
    plutodebug=none

conn azure
    ikev2=${offer.version === 2 ? 'insist' : 'no'}
    authby=secret
    left=${options.local.address}
    leftid=${options.local.id}
    leftsubnet=${local[0]}
    right=${options.remote.address}
    rightid=${options.remote.id}
    rightsubnet=${remote[0]}
    # Azure accepts whatever traffic selectors the remote gateway proposes
    narrowing=yes
    ike=${offer.ike.map(ikeOf).join(',')}
    esp=${offer.esp.map(espOf).join(',')}
    pfs=${pfs.has(true) ? 'yes' : 'no'}
    ikelifetime=${offer.ikeLifetimeSeconds}s
    salifetime=${offer.childLifetimeSeconds}s${dpd}
    auto=add
`;
}

/** A running pluto. */
export interface Pluto {
  ns: string;
  dir: string;
  rundir: string;
  process: ResultPromise;
}

/** whack against this pluto. */
export const whack = (pluto: Pluto, args: readonly string[]) => execa(WHACK, ['--rundir', pluto.rundir, ...args], { reject: false });

const running = (pluto: Pluto) => pluto.process.exitCode === null && pluto.process.signalCode === null;

/** Starts pluto in `ns` for the offer; resolves once it has loaded the connection. */
export async function startLibreswanPeer(t: ExecutionContext, options: AzurePeerOptions & { ns: string; dir: string }): Promise<Pluto> {
  const rundir = join(options.dir, 'run');
  const nss = join(options.dir, 'nss');
  await mkdir(rundir, { recursive: true });
  await mkdir(nss, { recursive: true });
  await execa('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  const conf = join(options.dir, 'ipsec.conf');
  const secrets = join(options.dir, 'ipsec.secrets');
  await writeFile(conf, libreswanConf(options));
  await writeFile(secrets, `${options.local.id} ${options.remote.id} : PSK "${options.psk}"\n`, { mode: 0o600 });
  const process = spawnIn(options.ns, [PLUTO, '--nofork', '--config', conf, '--rundir', rundir, '--nssdir', nss, '--secretsfile', secrets], { all: true });
  const pluto: Pluto = { ns: options.ns, dir: options.dir, rundir, process };
  t.teardown(() => stopPluto(pluto));
  await waitFor(async () => {
    if (!running(pluto)) throw new Error(`pluto in ${options.ns} exited: ${(await process).all}`);
    return /"azure"/.test(String((await whack(pluto, ['--status'])).stdout));
  }, { what: `pluto in ${options.ns} to load connection azure` });
  return pluto;
}

/** `whack --shutdown`, then SIGKILL if pluto has not exited within `graceMs`. */
export async function stopPluto(pluto: Pluto, options: { graceMs?: number } = {}): Promise<void> {
  if (!running(pluto)) return;
  await whack(pluto, ['--shutdown']);
  const timer = setTimeout(() => pluto.process.kill('SIGKILL'), options.graceMs ?? 30_000);
  try {
    await pluto.process;
  } finally {
    clearTimeout(timer);
  }
}

/** pluto's states (`whack --showstates`), one a line. */
export const plutoStates = async (pluto: Pluto) => String((await whack(pluto, ['--showstates'])).stdout).split('\n').filter(Boolean);

/** pluto's log so far. */
export const readPlutoLog = (pluto: Pluto) => readFile(join(pluto.dir, 'pluto.log'), 'utf8').catch(() => '');
