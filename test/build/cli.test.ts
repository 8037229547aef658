import test from 'ava';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, writeFiles } from '../helpers/temp-dir.js';

const exits = test.macro({
  async exec(t, args: string[], expected: { code: number; stderr?: RegExp; stdout?: RegExp; files?: Record<string, string>; env?: Record<string, string> }) {
    const dir = await makeTempDir(t);
    if (expected.files) await writeFiles(dir, expected.files);
    const result = await runCli(args, { cwd: dir, env: { XDG_CACHE_HOME: join(dir, 'cache'), ...expected.env } });
    t.is(result.exitCode, expected.code, `stderr: ${result.stderr}`);
    if (expected.stderr) t.regex(result.stderr, expected.stderr);
    if (expected.stdout) t.regex(result.stdout, expected.stdout);
    if (expected.code !== 70) t.notRegex(result.stderr, /internal error|\n\s+at /, 'no stack trace for an expected error');
  },
  title: (given, args: string[]) => `mcdebian ${args.join(' ')} ${given}`,
});

test('exits 2 with the usage when called with nothing', exits, [], { code: 2, stderr: /Usage: mcdebian <command>/ });
test('prints the usage and exits 0', exits, ['--help'], { code: 0, stdout: /Commands:\n\s+boards/ });
test('prints the version', exits, ['--version'], { code: 0, stdout: /^\d+\.\d+\.\d+$/ });
test('exits 2 for an unknown command, suggesting the nearest', exits, ['plna'], { code: 2, stderr: /error: unknown command "plna" \(did you mean "plan"\?\)\nhint: mcdebian --help/ });
test('exits 2 for an unknown flag, with the command\'s usage', exits, ['boards', '--jsn'], { code: 2, stderr: /error: boards: unknown flag --jsn \(did you mean "--json"\?\)\nhint: usage: mcdebian boards \[--json\]/ });
test('exits 2 for a misspelt flag, suggesting the command\'s nearest flag', exits, ['boot', '--bord', 'qemu-armhf'], { code: 2, stderr: /error: boot: unknown flag --bord \(did you mean "--board"\?\)/ });
test('suggests every flag a cut-short flag begins', exits, ['plan', '--boot', 'x'], { code: 2, stderr: /error: plan: unknown flag --boot \(did you mean "--bootstrapper"\?\)/ });
test('suggests nothing for a flag like none of the command\'s', exits, ['boards', '--frobnicate'], { code: 2, stderr: /error: boards: unknown flag --frobnicate\nhint/ });
test('a subcommand\'s misspelt flag gets the nearest of its own flags', exits, ['flash', 'usb', '--devic', '/dev/null'], { code: 2, stderr: /error: flash usb: unknown flag --devic \(did you mean "--device"\?\)/ });
test('exits 2 for a flag missing its value', exits, ['plan', '--board'], { code: 2, stderr: /error: plan: Option '-b, --board <value>' argument missing/ });
test('exits 2 for a stray positional argument', exits, ['boards', 'extra'], { code: 2, stderr: /Unexpected argument 'extra'/ });
test('exits 2 when plan is given neither board nor config', exits, ['plan'], { code: 2, stderr: /plan needs --board ID or -c FILE/ });
test('exits 2 for an unknown bootstrapper', exits, ['plan', '--board', 'wrt1200ac', '--bootstrapper', 'cdebootstrap', '--offline'], { code: 2, stderr: /--bootstrapper must be one of mmdebstrap, debootstrap/ });
test('exits 1 for an unknown board, suggesting the nearest', exits, ['plan', '--board', 'wrt1900ac', '--offline'], { code: 1, stderr: /error: unknown board "wrt1900ac" \(did you mean "wrt1900ac-v1", "wrt1900ac-v2" or "wrt1900acs"\?\)/ });
test('exits 1 for an unknown board in doctor', exits, ['doctor', '--board', 'wrt32x'], { code: 1, stderr: /unknown board "wrt32x"[\s\S]*hint: choose one of: wrt1200ac/ });
test('exits 1 for a missing config file', exits, ['plan', '-c', 'nope.yaml', '--offline'], { code: 1, stderr: /cannot read config file nope\.yaml: no such file/ });
test('exits 1 for a broken config, naming file, line and field', exits, ['plan', '-c', 'mcdebian.yaml', '--offline'], {
  code: 1,
  files: { 'mcdebian.yaml': 'board: wrt1200ac\nhostname: ok\nnetwrok: {}\n' },
  stderr: /mcdebian\.yaml:3: netwrok: unknown key "netwrok" \(did you mean "network"\?\)/,
});
test('exits 1 for YAML that does not parse', exits, ['plan', '-c', 'mcdebian.yaml', '--offline'], {
  code: 1,
  files: { 'mcdebian.yaml': 'board: [wrt1200ac\n' },
  stderr: /mcdebian\.yaml:\d+:\d+: YAML syntax: .* after "board: \[wrt1200ac"/,
});
test('lists the boards', exits, ['boards'], { code: 0, stdout: /^BOARD\s+NAME[\s\S]*wrt1900ac-v1\s+Linksys WRT1900AC v1\s+armhf[\s\S]*4 MiB\s+pri_kern_size\s+kernel1 40 MiB/ });
test('plans offline with the budget unknown', exits, ['plan', '--board', 'wrt1200ac', '--offline'], { code: 0, stdout: /UNKNOWN: blob size unknown: zImage \(--offline\)/ });
test('shows a command\'s usage with --help', exits, ['doctor', '--help'], { code: 0, stdout: /^Usage: mcdebian doctor/ });
test('a command\'s --help lists each of its flags with what it does', exits, ['boot', '--help'], { code: 0, stdout: /Flags:\n[\s\S]*--ssh-port N\s+the host port[\s\S]*--forward tcp\|udp:HOSTPORT:GUESTPORT\s+forward one more[\s\S]*--debug\s+print stack traces/ });
test('a group\'s --help lists its commands with their usage', exits, ['flash', '--help'], { code: 0, stdout: /^Usage: mcdebian flash <usb\|sftp\|tftp> \.\.\.[\s\S]*  usb: write the built usb\.img[\s\S]*mcdebian flash tftp/ });
test('a subcommand\'s --help shows its own flags only', exits, ['flash', 'usb', '--help'], { code: 0, stdout: /^Usage: mcdebian flash usb --device DEV(?![\s\S]*--serial)/ });
test('an overlay\'s commands are in the command list and take --help', exits, ['dns-blacklist', 'import', '--help'], { code: 0, stdout: /^Usage: mcdebian dns-blacklist import FILE[\s\S]*--password-file F/ });
test('a misspelt subcommand gets a suggestion', exits, ['flash', 'stfp'], { code: 2, stderr: /error: flash: expected the transport: usb, sftp or tftp, not "stfp" \(did you mean "sftp"\?\)/ });

test('boards --json is valid JSON carrying each board\'s partition table and U-Boot names', async (t) => {
  const { boards } = await import('../../board/index.js');
  const result = await runCli(['boards', '--json']);
  t.is(result.exitCode, 0);
  const listed = JSON.parse(result.stdout) as { id: string; nand?: unknown; ubootEnv?: { variables: { priKernSize: string } } }[];
  t.deepEqual(listed.map((board) => board.id), boards.map((board) => board.id));
  for (const board of boards) {
    const entry = listed.find((candidate) => candidate.id === board.id)!;
    t.deepEqual(entry.nand, board.nand === undefined ? undefined : JSON.parse(JSON.stringify(board.nand)), board.id);
  }
  t.is(listed.find((board) => board.id === 'wrt1900ac-v1')?.ubootEnv?.variables.priKernSize, 'pri_kern_size');
});

test('lists the overlays with their fields', exits, ['overlays'], {
  code: 0,
  stdout: /^callhome: reverse SSH tunnel[\s\S]*\n {4}hostKey +string, required +file with the managed host's public host key[\s\S]*\n {4}serverAliveInterval +integer 1\.\.300 = 3 /,
});

test('overlays --json gives every field with type, default and limits, as the schema has them', async (t) => {
  const result = await runCli(['overlays', '--json']);
  t.is(result.exitCode, 0);
  const listed = JSON.parse(result.stdout) as { name: string; architectures: string[]; fields: { name: string; required: boolean; default?: unknown; minimum?: number }[] }[];
  const callhome = listed.find((overlay) => overlay.name === 'callhome');
  t.deepEqual(callhome?.architectures, ['armhf', 'amd64']);
  t.like(callhome?.fields.find((field) => field.name === 'remotePort'), { required: true, minimum: 1024 });
  t.like(callhome?.fields.find((field) => field.name === 'restartSec'), { required: false, default: 1 });
  t.false(callhome?.fields.find((field) => field.name === 'privateKey')?.required);
});

test('build stops before anything runs when binfmt_misc cannot run armhf programs', exits, ['build', '--board', 'qemu-armhf', '--offline'], {
  code: 1,
  env: { MCDEBIAN_BINFMT_DIR: '/nonexistent-binfmt' },
  stderr: /error: the host cannot build qemu-armhf: qemu-arm \(\/nonexistent-binfmt\/qemu-arm is not registered\)\nhint: apt-get install binfmt-support qemu-user-static/,
});
test('build names a mirror that does not answer, before bootstrapping', exits, ['build', '-c', 'mcdebian.yaml', '--offline'], {
  code: 1,
  files: { 'mcdebian.yaml': 'board: x86-64\nmirror: http://127.0.0.1:9/debian\nsecurityMirror: http://127.0.0.1:9/debian-security\n' },
  stderr: /error: step '[^']+' cannot run: the Debian mirror does not answer: cannot download http:\/\/127\.0\.0\.1:9\/debian\/dists\/trixie\/InRelease/,
});
