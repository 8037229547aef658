/**
 * A managed host whose system files a test may change: sshd runs in a mount namespace of the
 * test's own, in which /etc and /home are copies under the test's directory and systemctl is a
 * stand-in that records its arguments and, for `reload ssh`, sends that sshd SIGHUP (what
 * ssh.service's ExecReload does). install-host then creates users and writes sshd_config.d
 * there, never on the machine that runs the tests.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PrivateRoot {
  /** The copy of /etc the namespace sees as /etc. */
  etc: string;
  /** The directory the namespace sees as /home. */
  home: string;
  /** Each systemctl call's arguments, one line each. */
  systemctlCalls(): Promise<string[]>;
  /** startManagedHost's launcher: sshd's argv follows it. */
  launcher: string[];
}

export async function makePrivateRoot(dir: string): Promise<PrivateRoot> {
  const root = join(dir, 'root');
  const etc = join(root, 'etc');
  const home = join(root, 'home');
  await mkdir(home, { recursive: true });
  await cp('/etc', etc, { recursive: true, verbatimSymlinks: true });
  const log = join(root, 'systemctl.log');
  const pid = join(root, 'sshd.pid');
  const systemctl = join(root, 'systemctl');
  await writeFile(log, '');
  await writeFile(systemctl, `#!/bin/sh\necho "$*" >> ${log}\nif [ "$1 $2" = "reload ssh" ]; then kill -HUP "$(cat ${pid})"; fi\n`, { mode: 0o755 });
  const mounts = [[etc, '/etc'], [home, '/home'], [systemctl, '/usr/bin/systemctl']].map(([from, to]) => `mount --bind ${from} ${to}`).join(' && ');
  return {
    etc,
    home,
    systemctlCalls: async () => (await readFile(log, 'utf8')).split('\n').filter((line) => line !== ''),
    // without --fork, unshare runs sh in its own process, and exec makes that process sshd: $$ is sshd's pid
    launcher: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${mounts} && echo $$ > ${pid} && exec "$@"`, 'sh'],
  };
}
