/**
 * rootfs/files/mcdebian-boot-health, the real sh script, on the host: a fake systemctl on PATH
 * says which units failed and whether ssh.service is active, and the real mcdebian-bootcount
 * resets a file standing in for s_env, so "reset" and "no reset" are read off the log itself.
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBoard } from '../../board/index.js';
import { flashPartition } from '../../board/flash.js';
import { BOOT_COUNT_MAGIC, parseBootCounter, renderBootCounter } from '../../flash/bootcount.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const FILES_DIR = fileURLToPath(new URL('../../../rootfs/files/', import.meta.url));
const counter = getBoard('qemu-armhf').bootCounter!;
const layout = { ...counter, size: flashPartition(getBoard('qemu-armhf'), counter.partition)!.size };
const threeBoots = [{ count: 0 }, ...[1, 2, 3].map((count) => ({ count, checksum: BOOT_COUNT_MAGIC + count }))];

/** systemd 252's `list-units --state=failed --no-legend --plain` line for a failed unit. */
const failedLine = (unit: string) => `${unit} loaded failed failed ${unit.replace(/\..*/, '')} daemon\n`;

interface Scenario {
  /** Output of `systemctl list-units --state=failed --no-legend --plain`. */
  failedUnits?: string;
  /** What `systemctl is-active ssh.service` prints; it exits 0 only for "active". */
  ssh?: string;
  /** health.d scripts by name: their sh body. */
  checks?: Record<string, string>;
  /** health.d files without the executable bit. */
  nonExecutable?: Record<string, string>;
}

async function writeScript(path: string, body: string, mode = 0o755): Promise<void> {
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, mode);
}

async function runHealth(t: ExecutionContext, scenario: Scenario) {
  const dir = await makeTempDir(t, 'mcdebian-boot-health-');
  const bin = join(dir, 'bin');
  const checks = join(dir, 'health.d');
  const sEnv = join(dir, 's_env.bin');
  await mkdir(bin);
  await mkdir(checks);
  await writeFile(sEnv, renderBootCounter(threeBoots, layout));
  const ssh = scenario.ssh ?? 'active';
  const programs = {
    systemctl: [
      `printf '%s\\n' "$*" >> '${join(dir, 'systemctl.log')}'`,
      'case "$1" in',
      `  list-units) printf '%s' '${scenario.failedUnits ?? ''}' ;;`,
      `  is-active) echo '${ssh}'; [ '${ssh}' = active ] ;;`,
      '  *) exit 1 ;;',
      'esac',
    ].join('\n'),
    'mcdebian-bootcount': `exec sh '${join(FILES_DIR, 'mcdebian-bootcount')}' "$@"`,
  };
  for (const [name, body] of Object.entries(programs)) await writeScript(join(bin, name), body);
  for (const [name, body] of Object.entries(scenario.checks ?? {})) await writeScript(join(checks, name), body);
  for (const [name, body] of Object.entries(scenario.nonExecutable ?? {})) await writeScript(join(checks, name), body, 0o644);
  const result = await execa('sh', [join(FILES_DIR, 'mcdebian-boot-health')], {
    reject: false,
    stripFinalNewline: false,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      MCDEBIAN_HEALTH_DIR: checks,
      MCDEBIAN_HEALTH_TIMEOUT: '2',
      MCDEBIAN_BOOTCOUNT_DEVICE: sEnv,
      MCDEBIAN_BOOTCOUNT_KIND: 'block',
      MCDEBIAN_BOOTCOUNT_CONF: join(dir, 'none'),
      JOURNAL_STREAM: '',
    },
  });
  const log = parseBootCounter(await readFile(sEnv), counter);
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), count: log.count, checks, systemctl: await readFile(join(dir, 'systemctl.log'), 'utf8') };
}

test('a healthy boot with passing health.d checks resets the counter', async (t) => {
  const result = await runHealth(t, { checks: { '10-ok': 'exit 0', '20-also-ok': 'true' } });
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.is(result.count, 0);
  t.true(result.stdout.endsWith('healthy: boot counter reset\n'), result.stdout);
  t.is(result.systemctl, 'list-units --state=failed --no-legend --plain\nis-active ssh.service\n');
});

test('a failed unit makes the boot unhealthy, names the unit and leaves the counter', async (t) => {
  const result = await runHealth(t, { failedUnits: failedLine('named.service') + failedLine('mcdebian-callhome.service') });
  t.is(result.exitCode, 1);
  t.is(result.count, 3);
  t.is(result.stdout,
    'unhealthy: failed units: named.service mcdebian-callhome.service; boot counter left at 3, ' +
    'U-Boot falls back to the other slot after 3 uncounted boots\n');
});

test('ssh.service not active makes the boot unhealthy', async (t) => {
  const result = await runHealth(t, { ssh: 'inactive' });
  t.is(result.exitCode, 1);
  t.is(result.count, 3);
  t.regex(result.stdout, /^unhealthy: ssh\.service is inactive; boot counter left at 3,/);
});

test('a failing health.d check makes the boot unhealthy and is named with its exit code', async (t) => {
  const result = await runHealth(t, { checks: { '10-ok': 'exit 0', '50-wan': 'echo "no route to the internet"; exit 3' } });
  t.is(result.exitCode, 1);
  t.is(result.count, 3);
  t.true(result.stdout.includes('no route to the internet\n'), 'the check\'s own output reaches the journal');
  t.true(result.stdout.endsWith(`unhealthy: ${join(result.checks, '50-wan')} exited 3; boot counter left at 3, U-Boot falls back to the other slot after 3 uncounted boots\n`), result.stdout);
});

test('a health.d check that hangs is stopped at the timeout and counts as unhealthy', async (t) => {
  const result = await runHealth(t, { checks: { '10-hang': 'exec sleep 30' } });
  t.is(result.exitCode, 1);
  t.is(result.count, 3);
  t.regex(result.stdout, /^unhealthy: \S+\/10-hang timed out after 2s;/);
});

test('every problem is listed, separated by semicolons', async (t) => {
  const result = await runHealth(t, { failedUnits: failedLine('x.service'), ssh: 'failed', checks: { '10-no': 'exit 1' } });
  t.regex(result.stdout, /^unhealthy: failed units: x\.service; ssh\.service is failed; \S+\/10-no exited 1; boot counter left at 3,/);
});

test('health.d files that are not executable are not run', async (t) => {
  const result = await runHealth(t, { checks: { '10-ok': 'exit 0' }, nonExecutable: { '20-disabled': 'exit 1' } });
  t.is(result.exitCode, 0, result.stdout);
  t.is(result.count, 0);
});
