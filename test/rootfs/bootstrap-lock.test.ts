/** Two builds that need the same base at once (two boards, two test workers) bootstrap it once. */
import test from 'ava';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { createBuildContext } from '../../build/core/context.js';
import { createMemoryLogger } from '../../build/core/log.js';
import { bootstrapStep } from '../../rootfs/bootstrap.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const spec = {
  bootstrapper: 'mmdebstrap' as const,
  suite: 'trixie',
  arch: 'armhf',
  mirror: 'http://mirror.example/debian',
  withUpdates: false,
  packages: ['systemd'],
};

test('two bootstraps of one key at once: mmdebstrap runs once, and both builds get the base and its epoch', async (t) => {
  const dir = await makeTempDir(t);
  // a fake mmdebstrap that counts its runs and writes the tarball it is given, after a pause long
  // enough that the second build would have started its own without the lock
  const fake = join(dir, 'mmdebstrap');
  await writeFile(fake, `#!/bin/sh\necho run >> '${join(dir, 'runs')}'\nfor a; do case $a in *.tar.partial-*) out=$a;; esac; done\nsleep 1\necho base > "$out"\n`);
  await chmod(fake, 0o755);
  process.env.PATH = `${dir}${delimiter}${process.env.PATH ?? ''}`;
  const paths = { output: join(dir, 'cache/base/k.tar'), meta: join(dir, 'cache/base/k.json') };
  const build = async (name: string) => {
    const logger = createMemoryLogger();
    const handle = createBuildContext({ logger, logFile: join(dir, `${name}.log`), signal: new AbortController().signal });
    try {
      await bootstrapStep(spec, paths, { key: 'k'.repeat(64), cached: false }).run(handle.context);
      return { epoch: handle.context.state.sourceDateEpoch, lines: logger.lines };
    } finally {
      await handle.close();
    }
  };
  const [first, second] = await Promise.all([build('one'), build('two')]);
  t.is((await readFile(join(dir, 'runs'), 'utf8')).trim().split('\n').length, 1);
  t.is(await readFile(paths.output, 'utf8'), 'base\n');
  t.truthy(first.epoch);
  t.is(first.epoch, second.epoch);
  t.true([...first.lines, ...second.lines].some((line) => /waiting for another build that is making the base k{12}/.test(line)));
});
