/**
 * smpp-relay journal benchmark, one run, figures printed (never asserted):
 *   npm run build && node dist/test/bench/journal.bench.js
 * appendDurable throughput with 1, 16 and 256 concurrent writers, each waiting for its record
 * before writing the next (as HTTP requests do), for SECONDS_PER_RUN (default 5) s each:
 * records/s, fsyncs/s, records per fsync, and the median and p99 wait. The journal goes in a
 * temporary directory under JOURNAL_DIR, default the current directory, so that running it from
 * the router's USB stick measures the stick (os.tmpdir() is often a tmpfs, where fsync is free).
 */
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Journal, nodeFileSystem } from '../../overlays/runtime/journal.js';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 5);
const WRITERS = [1, 16, 256];
/** statfs(2) f_type values of the filesystems one is likely to meet (linux/magic.h). */
const FILESYSTEMS: Record<number, string> = { 0xef53: 'ext2/3/4', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x9123683e: 'btrfs', 0x58465342: 'xfs', 0x4d44: 'vfat', 0x2011bab0: 'exfat', 0xf2f52010: 'f2fs' };

/** About what the relay writes for an accepted message: a 160-character text and its addresses. */
const record = (writer: number, n: number) => ({
  t: 'accept', m: { id: `${writer}-${n}`, to: '+4915112345678', from: 'McDebian', smsc: 'upstream', text: 'x'.repeat(160), dlr: 31, at: Date.now() },
});

interface Figures { writers: number; records: number; fsyncs: number; seconds: number; waits: number[] }

async function run(dir: string, writers: number, sync: boolean): Promise<Figures> {
  let fsyncs = 0;
  const fdatasync = async (fd: number) => {
    fsyncs++;
    await nodeFileSystem.fdatasync(fd);
  };
  const { journal } = await Journal.open({ path: join(dir, `journal-${writers}-${sync}`), sync, fileSystem: { fdatasync } });
  const waits: number[] = [];
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(Array.from({ length: writers }, async (_, writer) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const before = performance.now();
      await journal.appendDurable(record(writer, n));
      waits.push(performance.now() - before);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await journal.close();
  return { writers, records: waits.length, fsyncs: sync ? fsyncs : 0, seconds, waits };
}

function describe({ writers, records, fsyncs, seconds, waits }: Figures): string {
  const sorted = waits.toSorted((a, b) => a - b);
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(2);
  return `${String(writers).padStart(3)} writers  ${(records / seconds).toFixed(0).padStart(7)} records/s  ${(fsyncs / seconds).toFixed(0).padStart(5)} fsyncs/s  ` +
    `${fsyncs ? (records / fsyncs).toFixed(1).padStart(6) : '     -'} records/fsync  wait median ${at(0.5)} ms, p99 ${at(0.99)} ms`;
}

async function main(): Promise<void> {
  const base = resolve(process.env.JOURNAL_DIR ?? '.');
  const dir = await mkdtemp(join(base, '.journal-bench-'));
  try {
    const { type } = await statfs(dir);
    console.log(`journal appendDurable, ${SECONDS} s per run, in ${base} (${FILESYSTEMS[type] ?? `filesystem type 0x${type.toString(16)}`}), node ${process.version}`);
    for (const writers of WRITERS) console.log(`  fdatasync  ${describe(await run(dir, writers, true))}`);
    console.log(`  no fsync   ${describe(await run(dir, 256, false))}   (sync: false, the ceiling without the disk)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
