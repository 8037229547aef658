/**
 * build/status/round.ts: the script run by the host's own sh (what `sh -s` on the device gets),
 * with a fake systemctl on PATH saying which units are loaded, and its output parsed back.
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newBoundary, parseRound, roundScript, type RoundGroup } from '../../../build/status/round.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A systemctl that says LoadState=loaded for the units named in `loaded`, not-found otherwise. */
async function fakeSystemctl(t: ExecutionContext, loaded: string[]): Promise<string> {
  const dir = await makeTempDir(t);
  const cases = loaded.map((unit) => `*' ${unit}') echo loaded ;;`).join('\n  ');
  await writeFile(join(dir, 'systemctl'), `#!/bin/sh\ncase " $*" in\n  ${cases}\n  *) echo not-found ;;\nesac\n`);
  await chmod(join(dir, 'systemctl'), 0o755);
  return dir;
}

async function runRound(t: ExecutionContext, groups: RoundGroup[], loaded: string[] = []) {
  const bin = await fakeSystemctl(t, loaded);
  const boundary = newBoundary();
  const result = await execa('sh', ['-s'], { input: roundScript(groups, boundary), env: { PATH: `${bin}:${process.env.PATH}` }, stripFinalNewline: false });
  return parseRound(String(result.stdout), groups, boundary);
}

test('each command\'s stdout, stderr and exit code come back exactly, a missing final newline included', async (t) => {
  const outputs = await runRound(t, [{ name: 'system', commands: ['printf "no newline"', 'echo out; echo err >&2; exit 3', 'printf "\\n\\ntwo blank lines first\\n"'] }]);
  t.deepEqual(outputs.get('system'), {
    present: true,
    outputs: [
      { stdout: 'no newline', stderr: '', code: 0 },
      { stdout: 'out\n', stderr: 'err\n', code: 3 },
      { stdout: '\n\ntwo blank lines first\n', stderr: '', code: 0 },
    ],
  });
});

test('a group runs only where its unit is loaded', async (t) => {
  const outputs = await runRound(t, [
    { name: 'callhome', unit: 'mcdebian-callhome.service', commands: ['echo tunnel'] },
    { name: 'smpp-relay', unit: 'mcdebian-smpp-relay.service', commands: ['echo relay; touch ran'] },
  ], ['mcdebian-callhome.service']);
  t.deepEqual(outputs.get('callhome'), { present: true, outputs: [{ stdout: 'tunnel\n', stderr: '', code: 0 }] });
  t.deepEqual(outputs.get('smpp-relay'), { present: false, outputs: [] });
});

test('a command reading stdin gets nothing, and the rest of the script still runs', async (t) => {
  const outputs = await runRound(t, [{ name: 'system', commands: ['cat', 'echo after'] }]);
  t.deepEqual(outputs.get('system')?.outputs.map((output) => output.stdout), ['', 'after\n']);
});

test('a command that writes a line looking like a marker of another round cannot end its output early', async (t) => {
  const fake = `${newBoundary()} system 0 exit 0`;
  const outputs = await runRound(t, [{ name: 'system', commands: [`printf '\\n%s\\n' '${fake}'; echo still mine`] }]);
  t.is(outputs.get('system')?.outputs[0]?.stdout, `\n${fake}\nstill mine\n`);
});

test('output cut short before the end marker is an error naming the groups that never answered', (t) => {
  const groups = [{ name: 'system', commands: ['true'] }, { name: 'callhome', unit: 'x.service', commands: ['true'] }];
  const boundary = newBoundary();
  const cut = `\n${boundary} system present\n\n${boundary} system 0 stdout\n`;
  t.throws(() => parseRound(cut, groups, boundary), { message: /^the device's answer ended early \(nothing for callhome\)/ });
});
