/** The CLI against the host's own Debian mirror (the one its apt sources name). */
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { realMirrorUnavailable } from '../helpers/real-mirror.js';
import { makeTempDir, writeFiles } from '../helpers/temp-dir.js';
import { testNeeding } from '../helpers/tools.js';

const withMirror = testNeeding({ unavailable: await realMirrorUnavailable() });

withMirror('build names a package the suite does not have, with the nearest name, before bootstrapping', async (t) => {
  const dir = await makeTempDir(t);
  await writeFiles(dir, { 'mcdebian.yaml': 'board: x86-64\npackages: [htopp]\n' });
  const result = await runCli(['build', '-c', 'mcdebian.yaml', '--offline'], { cwd: dir, env: { XDG_CACHE_HOME: join(dir, 'cache') } });
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, /error: step 'Bootstrap Debian trixie amd64 with mmdebstrap' cannot run: no package "htopp" \(did you mean "htop"\?\) in Debian trixie main for amd64/);
});
