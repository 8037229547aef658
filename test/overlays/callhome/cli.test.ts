/** callhome's commands as the CLI takes them: help, usage errors, refusals before any connection. */
import test from 'ava';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq\n';

const exits = test.macro({
  async exec(t, args: string[], expected: { code: number; stdout?: RegExp; stderr?: RegExp }) {
    const dir = await makeTempDir(t);
    await writeFiles(dir, { 'gw.yaml': 'board: wrt1200ac\noverlays:\n  callhome: { host: hq.example, hostKey: hq.pub, remotePort: 5000 }\n', 'hq.pub': HOST_KEY });
    const result = await runCli(args, { cwd: dir });
    t.is(result.exitCode, expected.code, result.stderr);
    if (expected.stdout) t.regex(result.stdout, expected.stdout);
    if (expected.stderr) t.regex(result.stderr, expected.stderr);
    t.notRegex(result.stderr, /internal error|\n\s+at /);
  },
  title: (given, args: string[]) => `mcdebian ${args.join(' ')} ${given}`,
});

test('lists both commands with their usage', exits, ['callhome', '--help'], { code: 0, stdout: /install-host: [\s\S]*--host HQ -c FILE[\s\S]*rotate-key: [\s\S]*rotate-key -c FILE/ });
test('describes each flag', exits, ['callhome', 'install-host', '--help'], { code: 0, stdout: /--known-hosts F\s+check the host key against this known_hosts file[\s\S]*--force\s+replace what the host has[\s\S]*--dry-run\s+read the host/ });
test('needs --host', exits, ['callhome', 'install-host', '-c', 'gw.yaml'], { code: 2, stderr: /callhome install-host needs --host HQ and -c FILE/ });
test('takes --accept-new-host-key only with --known-hosts', exits, ['callhome', 'install-host', '--host', 'hq.example', '-c', 'gw.yaml', '--accept-new-host-key'],
  { code: 2, stderr: /--accept-new-host-key goes with --known-hosts F\nhint: without --known-hosts, the host key is checked against the config's overlays\.callhome\.hostKey/ });
test('refuses before connecting while the tunnel key is still to be generated', exits, ['callhome', 'install-host', '--host', 'hq.example', '-c', 'gw.yaml'],
  { code: 1, stderr: /the tunnel key secrets\/gw\/callhome-tunnel-key does not exist yet\nhint: mcdebian build -c gw\.yaml generates it/ });
