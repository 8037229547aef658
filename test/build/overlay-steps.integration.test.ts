import test from 'ava';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createBuildContext } from '../../build/core/context.js';
import { silentLogger } from '../../build/core/log.js';
import { overlayChecksStep, overlayOutputsStep } from '../../build/overlay-steps.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testNeeding } from '../helpers/tools.js';

/** Runs a step with a real build context; `chroot /` makes the host the target. */
async function run(t: Parameters<typeof makeTempDir>[0], step: ReturnType<typeof overlayChecksStep>) {
  const dir = await makeTempDir(t);
  const handle = createBuildContext({ logger: silentLogger, logFile: join(dir, 'build.log'), signal: new AbortController().signal });
  try {
    await step.run(handle.context);
  } finally {
    await handle.close();
  }
  return readFile(join(dir, 'build.log'), 'utf8');
}

const root = testNeeding({ root: 'the checks run through chroot /' });

root('checks that pass leave the build going, each logged', async (t) => {
  const log = await run(t, overlayChecksStep([{ description: 'a: true', argv: ['true'] }, { description: 'a: ok output', argv: ['echo', 'fine'], failOn: /Unknown key/ }], '/'));
  t.regex(log, /chroot \/ true/);
  t.regex(log, /chroot \/ echo fine/);
});

root('every failing check is reported at once: a non-zero exit, and a warning the tool exits 0 on', async (t) => {
  const step = overlayChecksStep([
    { description: 'callhome: ssh parses the options', argv: ['sh', '-c', 'echo "line 3: Bad configuration option: bogus" >&2; exit 255'] },
    { description: 'callhome: systemd-analyze verify x.service', argv: ['sh', '-c', 'echo "/etc/systemd/system/x.service:4: Unknown key \'Foo\' in section [Service], ignoring." >&2'], failOn: /^\/etc\/systemd\/system\/x\.service:\d+:/m },
    { description: 'callhome: fine', argv: ['true'] },
  ], '/');
  const error = await t.throwsAsync(run(t, step));
  t.regex(error.message, /^2 overlay checks failed in the image:/);
  t.regex(error.message, /callhome: ssh parses the options: .*exit(ed with)? (code )?255[\s\S]*Bad configuration option: bogus/);
  t.regex(error.message, /callhome: systemd-analyze verify x\.service:\n {4}\/etc\/systemd\/system\/x\.service:4: Unknown key 'Foo'/);
  t.notRegex(error.message, /callhome: fine/);
});

test('the outputs land in the staging directory under the overlay\'s folder, world-readable', async (t) => {
  const staging = await makeTempDir(t);
  const step = overlayOutputsStep([{ path: 'callhome/authorized_keys', content: 'restrict ...\n', description: 'x' }], staging, '/out/gw1');
  t.deepEqual(step.writes, ['/out/gw1/callhome/authorized_keys']);
  await run(t, step);
  t.is(await readFile(join(staging, 'callhome', 'authorized_keys'), 'utf8'), 'restrict ...\n');
  t.is((await stat(join(staging, 'callhome', 'authorized_keys'))).mode & 0o777, 0o644);
});

test('a check on the host runs there, with {rootfs} standing for the image\'s root', async (t) => {
  const rootfs = await makeTempDir(t);
  const step = overlayChecksStep([{ description: 'vpn-azure: the file is there', argv: ['test', '-d', '{rootfs}/'], on: 'host' }], rootfs);
  t.deepEqual(step.commands.map((command) => command.argv), [['test', '-d', `${rootfs}/`]]);
  const log = await run(t, step);
  t.notRegex(log, /chroot/);
  const missing = overlayChecksStep([{ description: 'vpn-azure: a file that is not there', argv: ['test', '-e', '{rootfs}/nothing'], on: 'host' }], rootfs);
  const error = await t.throwsAsync(run(t, missing));
  t.regex(error.message, /vpn-azure: a file that is not there/);
});
