/**
 * Progress of a bootstrap, read from what mmdebstrap --verbose (or debootstrap) prints. Without --verbose,
 * mmdebstrap draws its progress bars only on a terminal and says nothing else but its phases
 * (mmdebstrap(1), "--verbose: instead of progress bars, write the dpkg and apt output directly
 * to standard error"; its run_progress() drops apt's and dpkg's status fds when stderr is not a
 * tty), so the build, whose stderr is a pipe, asks for the apt and dpkg output and counts it:
 *
 * - `I: downloading packages with apt...`: mmdebstrap's own phases, `I: ` lines ending in "...";
 * - `0 upgraded, 59 newly installed, 0 to remove and 0 not upgraded.`: apt-get's summary,
 *   once for the essential set and once for the rest, so the total grows in two steps;
 * - `Get:12 http://mirror.example/debian trixie/main armhf libc6 armhf 2.41-12 [2381 kB]`: a
 *   package fetched, six fields and its size (an index is `Get:4 URI trixie/main armhf
 *   Packages [9247 kB]`, four fields and its size);
 * - `Unpacking libc6:armhf (2.41-12) ...` and `Setting up libc6:armhf (2.41-12) ...`: dpkg's
 *   lines for a package unpacked and configured. mmdebstrap runs every command under
 *   LC_ALL=C.UTF-8, so these are apt's and dpkg's untranslated messages;
 * - `Processing triggers for initramfs-tools (0.148.4) ...` and `update-initramfs: Generating
 *   /boot/initrd.img-...`: what the long quiet stretches are (under qemu-user, each
 *   update-initramfs of an armhf kernel took 6 minutes in the recorded bootstrap).
 *
 * The download phase runs apt with -oDebug::pkgDpkgPm=1, which prints the dpkg calls it would
 * make (`/usr/bin/dpkg --status-fd 10 --unpack ...`) without making them: they match none of
 * the patterns above.
 *
 * debootstrap says everything in its own `I: ` lines and never announces a total, so the total
 * is the packages it retrieved, known once it starts extracting them:
 * `I: Retrieving apt 3.0.4` (a package and its version; `I: Retrieving InRelease ` is an index),
 * `I: Extracting apt...` (the first stage), `I: Unpacking apt...` and `I: Configuring apt...`
 * (the second stage, which configures libc-bin twice), and its phases, `I: ` lines ending in
 * "..." that are not about one package (`I: Unpacking required packages...`).
 */
import type { StepProgress } from '../build/core/progress.js';

/** What the bootstrap's output has said so far. */
export interface BootstrapTally {
  /** mmdebstrap's current phase, e.g. "installing essential packages"; "starting" before the first. */
  phase: string;
  /** Packages apt said it would install, summed over its runs. */
  total: number;
  fetched: number;
  unpacked: number;
  configured: number;
  /** The package being set up, the trigger being run: what the bootstrap is busy with. */
  current?: string;
  /** debootstrap: the packages configured so far, each counted once. */
  configuredNames?: ReadonlySet<string>;
}

export const EMPTY_TALLY: BootstrapTally = { phase: 'starting', total: 0, fetched: 0, unpacked: 0, configured: 0 };

const PHASE = /^I: (.+)\.\.\.$/;
const APT_SUMMARY = /^(\d+) upgraded, (\d+) newly installed, /;
const PACKAGE_FETCHED = /^Get:\d+ (?:[^\s[]+ ){6}\[[^\]]*\]$/;
const UNPACKING = /^Unpacking (\S+) \(/;
const SETTING_UP = /^Setting up (\S+) \(/;
const TRIGGERS = /^Processing triggers for (\S+) \(/;
const INITRAMFS = /^update-initramfs: Generating (\S+)/;

/** The tally after one more line of mmdebstrap --verbose's output. */
export function readMmdebstrapLine(tally: BootstrapTally, line: string): BootstrapTally {
  const phase = PHASE.exec(line);
  if (phase) return { ...tally, phase: phase[1]!, current: undefined };
  const summary = APT_SUMMARY.exec(line);
  if (summary) return { ...tally, total: tally.total + Number(summary[1]) + Number(summary[2]) };
  if (PACKAGE_FETCHED.test(line)) return { ...tally, fetched: tally.fetched + 1 };
  const unpacking = UNPACKING.exec(line);
  if (unpacking) return { ...tally, unpacked: tally.unpacked + 1, current: `unpacking ${unpacking[1]}` };
  const settingUp = SETTING_UP.exec(line);
  if (settingUp) return { ...tally, configured: tally.configured + 1, current: `setting up ${settingUp[1]}` };
  const triggers = TRIGGERS.exec(line);
  if (triggers) return { ...tally, current: `processing triggers for ${triggers[1]}` };
  const initramfs = INITRAMFS.exec(line);
  if (initramfs) return { ...tally, current: `update-initramfs: generating ${initramfs[1]}` };
  return tally;
}

const DEBOOTSTRAP_PACKAGE = /^I: (Extracting|Unpacking|Configuring) (\S+)\.\.\.$/;
const DEBOOTSTRAP_RETRIEVING = /^I: Retrieving (\S+) \S+$/;

/** The tally after one more line of debootstrap's output (either stage). */
export function readDebootstrapLine(tally: BootstrapTally, line: string): BootstrapTally {
  if (DEBOOTSTRAP_RETRIEVING.test(line)) return { ...tally, fetched: tally.fetched + 1, current: `retrieving ${DEBOOTSTRAP_RETRIEVING.exec(line)![1]}` };
  const packageLine = DEBOOTSTRAP_PACKAGE.exec(line);
  if (packageLine) {
    const [, verb, name] = packageLine as unknown as [string, string, string];
    const total = Math.max(tally.total, tally.fetched);
    const current = `${verb.toLowerCase()} ${name}`;
    if (verb === 'Unpacking') return { ...tally, total, unpacked: tally.unpacked + 1, current };
    if (verb === 'Configuring') {
      const configuredNames = new Set(tally.configuredNames).add(name);
      return { ...tally, total, configured: configuredNames.size, configuredNames, current };
    }
    return { ...tally, total, current };
  }
  const phase = PHASE.exec(line);
  if (phase) return { ...tally, phase: phase[1]!, current: undefined };
  return tally;
}

/** The line reader for a bootstrapper's output. */
export function bootstrapLineReader(bootstrapper: 'mmdebstrap' | 'debootstrap'): (tally: BootstrapTally, line: string) => BootstrapTally {
  return bootstrapper === 'mmdebstrap' ? readMmdebstrapLine : readDebootstrapLine;
}

/** The tally as the runner shows it; no totals before apt (or debootstrap's retrieving) has said how many packages there are. */
export function describeBootstrap(tally: BootstrapTally): StepProgress {
  const current = tally.current === undefined ? {} : { current: tally.current };
  if (tally.total === 0 && tally.fetched > 0) return { phase: tally.phase, counts: [{ label: 'fetched', done: tally.fetched }], ...current };
  if (tally.total === 0) return { phase: tally.phase, ...current };
  const count = (label: string, done: number) => ({ label, done, total: tally.total });
  return { phase: tally.phase, counts: [count('fetched', tally.fetched), count('unpacked', tally.unpacked), count('configured', tally.configured)], ...current };
}
