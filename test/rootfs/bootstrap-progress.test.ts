/**
 * The bootstrap's progress from the output of a real `mmdebstrap --verbose` (1.3.5, trixie armhf,
 * the qemu-armhf package set, under qemu-user on a busy 2-core machine: 44 minutes) and of a real
 * debootstrap (1.0.128, trixie amd64 minbase with systemd and udev, both stages in one run),
 * recorded with each line's milliseconds since the start.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { PROGRESS_INTERVAL_MS, ProgressView } from '../../build/core/progress.js';
import { bootstrapLineReader, describeBootstrap, EMPTY_TALLY, type BootstrapTally } from '../../rootfs/bootstrap-progress.js';

const FIXTURES = new URL('../../../test/fixtures/rootfs/', import.meta.url);
const RECORDINGS = { mmdebstrap: 'mmdebstrap-armhf-trixie.timed', debootstrap: 'debootstrap-amd64-trixie.timed' } as const;

async function recording(bootstrapper: keyof typeof RECORDINGS): Promise<{ ms: number; line: string }[]> {
  return (await readFile(new URL(RECORDINGS[bootstrapper], FIXTURES), 'utf8')).split('\n').filter(Boolean).map((entry) => {
    const tab = entry.indexOf('\t');
    return { ms: Number(entry.slice(0, tab)), line: entry.slice(tab + 1) };
  });
}

/** The tally after each line, with the line. */
async function replay(bootstrapper: keyof typeof RECORDINGS = 'mmdebstrap'): Promise<{ ms: number; line: string; tally: BootstrapTally }[]> {
  let tally = EMPTY_TALLY;
  const read = bootstrapLineReader(bootstrapper);
  return (await recording(bootstrapper)).map(({ ms, line }) => ({ ms, line, tally: (tally = read(tally, line)) }));
}

const at = (steps: { line: string; tally: BootstrapTally }[], line: string) => {
  const step = steps.find((entry) => entry.line === line);
  if (!step) throw new Error(`no line "${line}" in the recording`);
  return step.tally;
};

test('at the end every package apt named is counted fetched, unpacked and configured: 59 essential and 97 more', async (t) => {
  const steps = await replay();
  const { total, fetched, unpacked, configured } = steps.at(-1)!.tally;
  t.deepEqual({ total, fetched, unpacked, configured }, { total: 156, fetched: 156, unpacked: 156, configured: 156 });
});

test('mmdebstrap\'s phases are read in order from its I: lines that end in "..."', async (t) => {
  const phases = [...new Set((await replay()).map((step) => step.tally.phase))];
  t.deepEqual(phases, [
    'starting', 'finding correct signed-by value', 'running apt-get update', 'downloading packages with apt', 'extracting archives',
    'installing essential packages', 'installing remaining packages inside the chroot', 'cleaning package lists and apt cache',
    'creating tarball', 'removing tempdir /tmp/mmdebstrap.53MS90BCQH',
  ]);
});

test('index downloads are not packages, and the dpkg calls apt only prints while downloading are not unpacks', async (t) => {
  const steps = await replay();
  t.like(at(steps, 'I: downloading packages with apt...'), { fetched: 0, total: 0 });
  t.like(at(steps, 'I: extracting archives...'), { fetched: 59, unpacked: 0, configured: 0, total: 59 });
  t.like(at(steps, 'I: installing remaining packages inside the chroot...'), { fetched: 59, unpacked: 59, configured: 59, total: 59 });
});

test('what a long quiet stretch is busy with is named: the initramfs of the kernel', async (t) => {
  const steps = await replay();
  const during = at(steps, 'W: Possible missing firmware /lib/firmware/imx/sdma/sdma-imx7d.bin for built-in driver imx_sdma');
  t.deepEqual(describeBootstrap(during), {
    phase: 'installing remaining packages inside the chroot',
    counts: [{ label: 'fetched', done: 156, total: 156 }, { label: 'unpacked', done: 156, total: 156 }, { label: 'configured', done: 154, total: 156 }],
    current: 'update-initramfs: generating /boot/initrd.img-6.12.118+deb13-armmp',
  });
  t.deepEqual(describeBootstrap(EMPTY_TALLY), { phase: 'starting' });
});

test('in plain output the 44-minute bootstrap reads as one line per interval, each with the time, not one per package', async (t) => {
  const steps = await replay();
  // the runner asks the view every second; between two recorded lines the report stands still
  const view = new ProgressView({ startedAt: 0, intervalMs: PROGRESS_INTERVAL_MS.plain });
  const shown: { ms: number; line: string }[] = [];
  let next = 0;
  for (let second = 0; second * 1000 <= steps.at(-1)!.ms; second += 1) {
    while (next < steps.length && steps[next]!.ms <= second * 1000) view.update(describeBootstrap(steps[next++]!.tally));
    const line = view.due(second * 1000);
    if (line !== undefined) shown.push({ ms: second * 1000, line });
  }
  const minutes = steps.at(-1)!.ms / 60_000;
  t.true(shown.length <= Math.ceil((minutes * 60_000) / PROGRESS_INTERVAL_MS.plain) + 1, `${shown.length} lines`);
  t.true(shown.length >= Math.floor((minutes * 60_000) / PROGRESS_INTERVAL_MS.plain) - 1, `${shown.length} lines`);
  t.true(shown.every((entry, i) => i === 0 || entry.ms - shown[i - 1]!.ms >= PROGRESS_INTERVAL_MS.plain));
  t.true(steps.length > 5 * shown.length, 'far fewer lines than mmdebstrap printed');
  t.deepEqual(shown.slice(0, 2).map((entry) => entry.line), ['running apt-get update (2 s)', 'downloading packages with apt: fetched 47/59, unpacked 0/59, configured 0/59 (14 s)']);
  t.is(shown.find((entry) => entry.ms === 1_202_000)?.line,
    'installing remaining packages inside the chroot: fetched 156/156, unpacked 156/156, configured 131/156; setting up ca-certificates (20 min 02 s)');
});

test('debootstrap: each package it names is counted once (it configures libc-bin twice, and names 82 of the 83 it retrieved)', async (t) => {
  // libsystemd-shared is retrieved, then unpacked and configured along with systemd without a line of its own
  const { total, fetched, unpacked, configured } = (await replay('debootstrap')).at(-1)!.tally;
  t.deepEqual({ total, fetched, unpacked, configured }, { total: 83, fetched: 83, unpacked: 82, configured: 82 });
});

test('debootstrap: while it retrieves, the count has no total; from the first extraction the total is what it retrieved', async (t) => {
  const steps = await replay('debootstrap');
  t.deepEqual(describeBootstrap(at(steps, 'I: Retrieving bash 5.2.37-2+b10')), {
    phase: 'Checking component main on http://mirror.example/debian', counts: [{ label: 'fetched', done: 4 }], current: 'retrieving bash',
  });
  t.like(at(steps, 'I: Retrieving InRelease '), { fetched: 0 });
  t.deepEqual(describeBootstrap(at(steps, 'I: Extracting apt...')).counts?.map((count) => count.total), [83, 83, 83]);
});

test('debootstrap: its phases are its I: lines ending in "..." that are not about one package', async (t) => {
  const phases = [...new Set((await replay('debootstrap')).map((step) => step.tally.phase))];
  t.deepEqual(phases, [
    'starting', 'Resolving dependencies of required packages', 'Resolving dependencies of base packages', 'Checking component main on http://mirror.example/debian',
    'Installing core packages', 'Unpacking required packages', 'Configuring required packages', 'Unpacking the base system', 'Configuring the base system',
  ]);
});
