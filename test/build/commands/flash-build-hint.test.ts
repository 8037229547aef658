import test from 'ava';
import { join } from 'node:path';
import { findBuiltConfigs, missingBuildHint } from '../../../build/commands/flash-build-hint.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';

/** A directory as a user has it: configs here and in a subdirectory, some built, some not. */
async function workspace(t: Parameters<typeof makeTempDir>[0]): Promise<string> {
  const dir = await makeTempDir(t);
  await writeFiles(dir, {
    'demo/qemu.yaml': 'board: qemu-armhf\nhostname: demo\n',
    'demo/out/qemu-armhf/kernel.uimg': 'blob',
    'own-output.yaml': 'board: qemu-armhf\noutput: images\n',
    'images/qemu-armhf/kernel.uimg': 'blob',
    'no-board.yml': 'hostname: any\n',
    'out/qemu-armhf/usb.img': 'image',
    'wrt.yaml': 'board: wrt1200ac\n',
    'out/wrt1200ac/kernel.uimg': 'blob',
    'unbuilt.yaml': 'board: qemu-armhf\noutput: nowhere\n',
    'broken.yaml': 'board: [qemu-armhf\n',
    'list.yaml': '- a\n- b\n',
    '.hidden/qemu.yaml': 'board: qemu-armhf\n',
    '.hidden/out/qemu-armhf/kernel.uimg': 'blob',
  });
  return dir;
}

test('the configs near the current directory whose build of the board holds the artifact are found, with their output:', async (t) => {
  const dir = await workspace(t);
  t.deepEqual(await findBuiltConfigs({ cwd: dir, boardId: 'qemu-armhf', artifact: 'kernel.uimg' }), [
    { config: 'demo/qemu.yaml', artifact: 'demo/out/qemu-armhf/kernel.uimg' },
    { config: 'own-output.yaml', artifact: 'images/qemu-armhf/kernel.uimg' },
  ]);
  t.deepEqual(await findBuiltConfigs({ cwd: dir, boardId: 'qemu-armhf', artifact: 'usb.img' }), [{ config: 'no-board.yml', artifact: 'out/qemu-armhf/usb.img' }]);
  t.deepEqual(await findBuiltConfigs({ cwd: join(dir, 'nonexistent'), boardId: 'qemu-armhf', artifact: 'kernel.uimg' }), []);
});

test('without -c, the hint names -c FILE, --image PATH and the builds found', async (t) => {
  const dir = await workspace(t);
  const hint = await missingBuildHint({ cwd: dir, boardId: 'qemu-armhf', artifact: 'kernel.uimg' });
  t.is(hint, [
    'the build of demo/qemu.yaml is at demo/out/qemu-armhf/kernel.uimg: add -c demo/qemu.yaml',
    'the build of own-output.yaml is at images/qemu-armhf/kernel.uimg: add -c own-output.yaml',
    'a build lands beside its config: name the config with -c FILE, or --image PATH flashes a kernel.uimg from elsewhere',
  ].join('; '));
});

test('without -c and with no build nearby, the hint names -c FILE, --image PATH and the build command', async (t) => {
  const dir = await makeTempDir(t);
  t.is(await missingBuildHint({ cwd: dir, boardId: 'wrt1200ac', artifact: 'kernel.uimg' }),
    'a build lands beside its config: name the config with -c FILE, or --image PATH flashes a kernel.uimg from elsewhere; or build one: mcdebian build --board wrt1200ac');
});

test('with -c, the hint builds that config or takes --image PATH', async (t) => {
  const dir = await workspace(t);
  t.is(await missingBuildHint({ cwd: dir, boardId: 'qemu-armhf', artifact: 'usb.img', config: 'unbuilt.yaml' }),
    'build it first (mcdebian build -c unbuilt.yaml), or --image PATH flashes a usb.img from elsewhere');
});
